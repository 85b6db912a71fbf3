"""Benchmark 2: a ranking's first page at a new `as_of`, end to end, against the raw read of
the same rows (issue #7).

PostgreSQL (default 1,000,000 holders of 441700): each run asks
`GET /v1/jurisdictions/441700/ranking?as_of=D&limit=50` with a date D no run has used (so a
new walk: every holder with a valid permit at D is scored and the order stored), timed at the
client until the whole answer has arrived. The baseline, measured in the same run just before,
is the time to read the rows that ranking reads, as fast as PostgreSQL hands them out:
`COPY (SELECT ...) TO STDOUT` of the holders with a valid permit at D and their matching
residence and insurance periods and adjustments (the columns the ranking reads; no ORDER BY),
read to the end by the client. Target: ranking <= 4x the raw read, and peak memory of the
service <= 1 GiB.

Then the spring allocation as an education bureau runs it: the rest of that walk, page after
page (`limit=500`) through `next_cursor` to the end, timed from the first page's answer to the
last page's; every rank must come exactly once, in order, and the walk must hold every holder
with a valid permit at D.

SQLite (default 100,000 holders): the same, with the raw read being the same SELECTs run
through Python's sqlite3 module and every row fetched (SQLite has no COPY).

    .venv/bin/python bench/ranking.py                    # 1M on PostgreSQL + 100k on SQLite
    .venv/bin/python bench/ranking.py --holders 100000 --sqlite-holders 0 --runs 3
"""

import argparse
import sqlite3
import sys
import time
from datetime import date, timedelta
from typing import Any

import common
import httpx
import psycopg
from psycopg import sql

LIMIT = 50
WALK_LIMIT = 500  # the largest page SPEC §7 allows


def ranking_reads(jurisdiction: str, as_of: date, placeholder: str) -> list[tuple[str, list[Any]]]:
    """The rows `app.scoring.ranking.population` reads, as four SELECTs with parameters."""
    from app.domain.codes import jurisdiction_prefix

    p = placeholder
    valid = (
        f"h.jurisdiction = {p} AND h.permit_status = 'active' "
        f"AND h.permit_issued_on <= {p} AND h.permit_valid_until >= {p}"
    )
    holder = [jurisdiction, as_of, as_of]
    matching = jurisdiction_prefix(jurisdiction) + "%"
    return [
        (
            "SELECT h.id, h.permit_issued_on, h.permit_valid_until, h.permit_status "
            f"FROM holders h WHERE {valid}",
            holder,
        ),
        (
            "SELECT r.holder_id, r.district, r.start_date, r.end_date, r.housing "
            f"FROM residence_periods r JOIN holders h ON h.id = r.holder_id "
            f"WHERE {valid} AND r.district LIKE {p}",
            [*holder, matching],
        ),
        (
            "SELECT i.holder_id, i.district, i.type, i.start_month, i.end_month "
            f"FROM insurance_periods i JOIN holders h ON h.id = i.holder_id "
            f"WHERE {valid} AND i.district LIKE {p}",
            [*holder, matching],
        ),
        (
            "SELECT a.holder_id, a.code, a.effective_from, a.effective_to "
            f"FROM adjustments a JOIN holders h ON h.id = a.holder_id WHERE {valid}",
            holder,
        ),
    ]


def raw_read_postgres(database_url: str, jurisdiction: str, as_of: date) -> tuple[float, int]:
    """Seconds to COPY the ranking's rows out, read to the end; and the bytes read."""
    received = 0
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for query, params in ranking_reads(jurisdiction, as_of, "%s"):
                # COPY takes no parameters: bind them client-side, as literals.
                statement = sql.SQL(query.replace("%s", "{}")).format(*map(sql.Literal, params))
                copy_statement = sql.SQL("COPY ({}) TO STDOUT").format(statement)
                with cursor.copy(copy_statement) as copy:
                    for block in copy:
                        received += len(block)
        return time.perf_counter() - started, received


def raw_read_sqlite(database_url: str, jurisdiction: str, as_of: date) -> tuple[float, int]:
    """Seconds to fetch the ranking's rows through sqlite3; and the rows fetched."""
    rows = 0
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    try:
        started = time.perf_counter()
        for query, params in ranking_reads(jurisdiction, as_of, "?"):
            cursor = connection.execute(query, [str(p) for p in params])
            while batch := cursor.fetchmany(10_000):
                rows += len(batch)
        return time.perf_counter() - started, rows
    finally:
        connection.close()


def used_dates(database_url: str) -> set[date]:
    """The as_of dates of the walks a database holds already."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute("SELECT DISTINCT as_of FROM ranking_snapshots")
            return {date.fromisoformat(r[0]) for r in rows}
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        return {r[0] for r in connection.execute("SELECT DISTINCT as_of FROM ranking_snapshots")}


def valid_holders(database_url: str, as_of: date) -> int:
    """Holders of the jurisdiction with a valid permit at `as_of` (the first of the ranking's
    reads, counted): the length of a walk."""
    sqlite = database_url.startswith("sqlite")
    query, params = ranking_reads(common.JURISDICTION, as_of, "?" if sqlite else "%s")[0]
    count = f"SELECT count(*) FROM ({query}) valid"
    if sqlite:
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return int(connection.execute(count, params).fetchone()[0])
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        return int(connection.execute(count, params).fetchone()[0])  # type: ignore[index]


def first_page(server: common.Server, key: str, as_of: date) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = httpx.get(
        f"{server.url}/v1/jurisdictions/{common.JURISDICTION}/ranking",
        params={"as_of": as_of.isoformat(), "limit": LIMIT},
        headers={"Authorization": f"Bearer {key}"},
        timeout=None,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"ranking answered {response.status_code}: {response.text[:500]}")
    return seconds, response.json()


def rest_of_walk(server: common.Server, key: str, page: dict[str, Any]) -> tuple[float, int]:
    """Follow the walk's cursors to its last page; the seconds and the rows seen in all."""
    ranks = [item["rank"] for item in page["items"]]
    started = time.perf_counter()
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=None) as client:
        while cursor := page["next_cursor"]:
            response = client.get(
                f"{server.url}/v1/jurisdictions/{common.JURISDICTION}/ranking",
                params={"cursor": cursor, "limit": WALK_LIMIT},
            )
            if response.status_code != 200:
                raise RuntimeError(f"page answered {response.status_code}: {response.text[:500]}")
            page = response.json()
            ranks += [item["rank"] for item in page["items"]]
    seconds = time.perf_counter() - started
    if ranks != list(range(1, len(ranks) + 1)):
        raise RuntimeError("the walk skipped or repeated a rank")
    return seconds, len(ranks)


def bench_backend(
    backend: str, holders: int, runs: int, args: argparse.Namespace
) -> dict[str, Any]:
    fresh = (
        common.fresh_postgres_database("ranking", keep=args.keep_database)
        if backend == "postgresql"
        else common.fresh_sqlite_database("ranking")
    )
    raw_read = raw_read_postgres if backend == "postgresql" else raw_read_sqlite
    unit = "bytes" if backend == "postgresql" else "rows"
    with fresh as new_url:
        reuse = backend == "postgresql" and args.database_url
        database_url = args.database_url if reuse else new_url
        if database_url == new_url:
            counts, seconds = common.populate(
                database_url, holders=holders, seed=args.seed, jurisdiction=common.JURISDICTION
            )
            rows = sum(counts.values())
            print(
                f"populated {backend}: {counts} in {seconds:.0f} s ({rows / seconds:,.0f} rows/s)",
                flush=True,
            )
        key = common.create_api_key(database_url, ["scores:read"], [common.JURISDICTION])
        settings = {"db_timeout_seconds": str(args.db_timeout)} if args.db_timeout else {}
        with common.Server(database_url, workers=args.workers, settings=settings) as server:
            raw_read(database_url, common.JURISDICTION, date.today())  # warm the cache once
            results = []
            used = used_dates(database_url)
            with common.MemorySampler(server.pids()) as sampler:
                for run in range(runs):
                    # A date no walk has used: a new snapshot, every holder scored again.
                    as_of = next(
                        day
                        for back in range(1, 10_000)
                        if (day := date.today() - timedelta(days=back)) not in used
                    )
                    used.add(as_of)
                    raw_seconds, amount = raw_read(database_url, common.JURISDICTION, as_of)
                    seconds, page = first_page(server, key, as_of)
                    assert len(page["items"]) == min(LIMIT, page["items"][-1]["rank"])
                    walk_seconds, walked = rest_of_walk(server, key, page)
                    if walked != valid_holders(database_url, as_of):
                        raise RuntimeError(f"the walk held {walked} holders, not every valid one")
                    results.append((raw_seconds, seconds, walk_seconds, walked))
                    print(
                        f"{backend} run {run + 1}/{runs} as_of {as_of}: raw read "
                        f"{raw_seconds:6.2f} s ({amount:,} {unit}), ranking first page "
                        f"{seconds:6.2f} s, ratio {seconds / raw_seconds:5.2f}; rest of the walk "
                        f"{walk_seconds:6.2f} s ({walked:,} holders, "
                        f"{walked / walk_seconds:,.0f} a second)",
                        flush=True,
                    )
            memory = common.memory_report(sampler)
            peak = max(sum(sampler.peaks().values()), sampler.peak_total_kib)
    raw_median = common.median([r[0] for r in results])
    ranking_median = common.median([r[1] for r in results])
    return {
        "backend": backend,
        "holders": holders,
        "runs": runs,
        "raw": raw_median,
        "ranking": ranking_median,
        "ratio": ranking_median / raw_median,
        "walk": common.median([r[2] for r in results]),
        "walked": results[-1][3],
        "memory": memory,
        "peak_mib": peak / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=1_000_000, help="PostgreSQL population")
    parser.add_argument("--sqlite-holders", type=int, default=100_000, help="0: skip SQLite")
    parser.add_argument("--runs", type=int, default=3, help="runs per backend (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="jifen serve --workers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument(
        "--db-timeout", type=float, default=0,
        help="JIFEN_DB_TIMEOUT_SECONDS for the server (default: the service's own default)",
    )  # fmt: skip
    parser.add_argument(
        "--database-url", help="an already populated PostgreSQL database (skips populate)"
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="keep the new PostgreSQL database"
    )
    args = parser.parse_args()
    print(f"machine: {common.machine()}; {common.load_average()}")
    summaries = []
    if not args.skip_postgresql:
        summaries.append(bench_backend("postgresql", args.holders, args.runs, args))
    if args.sqlite_holders:
        summaries.append(bench_backend("sqlite", args.sqlite_holders, args.runs, args))
    print()
    print(
        "Ranking, first page at a new as_of, then the rest of the walk, "
        f"jifen serve --workers {args.workers}; medians"
    )
    print(
        common.table(
            ["backend", "holders", "runs", "raw read s", "ranking s", "ratio", "target",
             "rest of walk s (holders)", "peak service MiB"],
            [
                [s["backend"], f"{s['holders']:,}", s["runs"], f"{s['raw']:.2f}",
                 f"{s['ranking']:.2f}", f"{s['ratio']:.2f}",
                 ("<= 4: " + ("met" if s["ratio"] <= 4 else "MISSED"))
                 if s["backend"] == "postgresql" else "-",
                 f"{s['walk']:.2f} ({s['walked']:,})",
                 f"{s['peak_mib']:.0f}" + (" (<= 1024: " + ("met" if s["peak_mib"] <= 1024
                                                          else "MISSED") + ")"
                                           if s["backend"] == "postgresql" else "")]
                for s in summaries
            ],
        )
    )  # fmt: skip
    for s in summaries:
        print(f"{s['backend']} service memory (peak over the runs):")
        print("\n".join(s["memory"]))
    print(f"at the end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
