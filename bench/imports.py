"""Benchmark 3: bulk import of period records through `POST /v1/imports` against a raw
`COPY ... FROM STDIN` of the same rows (issue #7).

A fresh PostgreSQL database holds --records / 8 synthetic holders of 441700 (one residence
and one insurance period each). The benchmark makes --records (default 1,000,000) new period
records for them, residence and insurance about 35:65 as `jifen bench populate` mixes them,
once: as NDJSON lines of SPEC §7 (`{"kind": "residence_period" | "insurance_period", "holder":
{"jurisdiction", "id_number"}, "record": {...}}`), and as COPY text rows of the same records
with the stored holder ids resolved. Each run then, from the same starting state:
  - baseline: `COPY residence_periods (...) FROM STDIN` and `COPY insurance_periods (...)` of
    the rows, in one transaction, committed; then those rows are deleted (and vacuumed);
  - import: the NDJSON streamed in one `POST /v1/imports` (`Idempotency-Key`: a new key per
    run), timed until its 201 report has arrived; it must report every line stored; then the
    rows are deleted likewise.
Prints medians over the runs of records/s and the ratio import/COPY (target >= 0.25).

    .venv/bin/python bench/imports.py                    # 1,000,000 records, 3 runs
    .venv/bin/python bench/imports.py --records 100000 --runs 2
"""

import argparse
import importlib.util
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import common
import httpx
import psycopg

BLOCK = 1 << 20


def _none(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _month(value: Any) -> Any:
    return None if value is None else f"{value:%Y-%m}"


def _copy_text(value: Any) -> str:
    return "\\N" if value is None else str(value)


def make_records(
    database_url: str, directory: Path, records: int, holders: int, seed: int
) -> dict[str, int]:
    """Write import.ndjson, residence.tsv and insurance.tsv in `directory`: the same records
    three ways. Holders are those `populate` stored with the same seed (ID numbers depend on
    the seed and the holder's position only)."""
    from app.bench.cli import population_catalogue
    from app.bench.populate import PopulationGenerator
    from app.core.config import Settings
    from app.db.session import make_engine
    from app.policies.service import PolicyCache

    engine = make_engine(Settings(database_url=database_url))
    from sqlmodel import Session

    with Session(engine) as session:
        districts, codes = population_catalogue(PolicyCache().get(session), common.JURISDICTION)
    engine.dispose()
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        stored = dict(connection.execute("SELECT id_number, id FROM holders").fetchall())
    generator = PopulationGenerator(
        seed=seed, jurisdiction=common.JURISDICTION, districts=districts,
        adjustment_codes=codes, residence_per_holder=(1, 6), insurance_per_holder=(1, 12),
    )  # fmt: skip
    written = {"residence_periods": 0, "insurance_periods": 0}
    with (
        open(directory / "import.ndjson", "w") as ndjson,
        open(directory / "residence.tsv", "w") as residence,
        open(directory / "insurance.tsv", "w") as insurance,
    ):
        total = 0
        for chunk in generator.chunks(holders):
            owners = {row[0]: row[2] for row in chunk.rows["holders"]}  # id -> ID number
            # Holder by holder, as a registry would send them.
            per_holder: dict[Any, list[tuple[str, tuple[Any, ...]]]] = {}
            for kind in ("residence_periods", "insurance_periods"):
                for row in chunk.rows[kind]:
                    per_holder.setdefault(row[1], []).append((kind, row))
            for holder_id, rows in per_holder.items():
                id_number = owners[holder_id]
                for kind, row in rows:
                    if total == records:
                        return written
                    _, _, district, *rest = row
                    if kind == "residence_periods":
                        start, end, housing, source = rest
                        record = {
                            "district": district, "start_date": start.isoformat(),
                            "end_date": _none(end), "housing": housing, "source": source,
                        }  # fmt: skip
                        line_kind, tsv = "residence_period", residence
                    else:
                        type_, start, end, source = rest
                        record = {
                            "district": district, "type": type_, "start_month": _month(start),
                            "end_month": _month(end), "source": source,
                        }  # fmt: skip
                        line_kind, tsv = "insurance_period", insurance
                    ndjson.write(
                        json.dumps(
                            {
                                "kind": line_kind,
                                "holder": {"jurisdiction": common.JURISDICTION,
                                           "id_number": id_number},
                                "record": record,
                            },
                            ensure_ascii=False, separators=(",", ":"),
                        ) + "\n"
                    )  # fmt: skip
                    tsv.write(
                        "\t".join(
                            _copy_text(v)
                            for v in (uuid.uuid4(), stored[id_number], district, *rest)
                        ) + "\n"
                    )  # fmt: skip
                    written[kind] += 1
                    total += 1
    if total < records:
        raise RuntimeError(f"{holders} holders gave only {total} records; raise --holders")
    return written


def blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            yield block


def watermarks(database_url: str) -> dict[str, int]:
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        return {
            table: connection.execute(f"SELECT coalesce(max(seq), 0) FROM {table}").fetchone()[0]
            for table in ("residence_periods", "insurance_periods")
        }


def reset(database_url: str, marks: dict[str, int]) -> None:
    """Back to the starting state: the rows a run added deleted, the tables vacuumed."""
    with psycopg.connect(common.libpq_url(database_url), autocommit=True) as connection:
        for table, mark in marks.items():
            connection.execute(f"DELETE FROM {table} WHERE seq > %s", (mark,))
            connection.execute(f"VACUUM ANALYZE {table}")


def raw_copy(database_url: str, directory: Path) -> float:
    columns = {
        "residence_periods": "id, holder_id, district, start_date, end_date, housing, source",
        "insurance_periods": "id, holder_id, district, type, start_month, end_month, source",
    }
    files = {"residence_periods": "residence.tsv", "insurance_periods": "insurance.tsv"}
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table, names in columns.items():
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for block in blocks(directory / files[table]):
                        copy.write(block)
        connection.commit()
        return time.perf_counter() - started


def post_import(server: common.Server, key: str, directory: Path) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = httpx.post(
        f"{server.url}/v1/imports",
        content=blocks(directory / "import.ndjson"),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": f"bench-{uuid.uuid4()}",
        },
        timeout=None,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"import answered {response.status_code}: {response.text[:1000]}")
    return seconds, response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="period records")
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="jifen serve --workers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--server-setting", action="append", default=[], metavar="NAME=VALUE",
        help="a JIFEN_ setting of the server, e.g. max_import_bytes=2147483648",
    )  # fmt: skip
    args = parser.parse_args()
    if importlib.util.find_spec("app.imports") is None:
        print("error: the service has no app.imports yet (POST /v1/imports)", file=sys.stderr)
        return 2
    print(f"machine: {common.machine()}; {common.load_average()}")
    holders = max(1, args.records // 8)  # ~10 records each by the default mix: enough
    with (
        common.fresh_postgres_database("imports") as database_url,
        tempfile.TemporaryDirectory(prefix="jifen_bench_imports_") as scratch,
    ):
        directory = Path(scratch)
        counts, seconds = common.populate(
            database_url, holders=holders, seed=args.seed, jurisdiction=common.JURISDICTION,
            residence_per_holder=(1, 1), insurance_per_holder=(1, 1),
        )  # fmt: skip
        print(f"populated: {counts} in {seconds:.0f} s", flush=True)
        written = make_records(database_url, directory, args.records, holders, args.seed)
        size = (directory / "import.ndjson").stat().st_size
        print(f"records: {written}; NDJSON {size / 2**20:.0f} MiB", flush=True)
        key = common.create_api_key(database_url, ["holders:write"], [common.JURISDICTION])
        settings = dict(s.split("=", 1) for s in args.server_setting)
        marks = watermarks(database_url)
        results = []
        with (
            common.Server(database_url, workers=args.workers, settings=settings) as server,
            common.MemorySampler(server.pids()) as sampler,
        ):
            for run in range(args.runs):
                copy_seconds = raw_copy(database_url, directory)
                reset(database_url, marks)
                import_seconds, report = post_import(server, key, directory)
                reset(database_url, marks)
                if report.get("stored") != args.records or report.get("rejected"):
                    print(f"error: import report {json.dumps(report)[:1000]}", file=sys.stderr)
                    return 1
                results.append((args.records / copy_seconds, args.records / import_seconds))
                print(
                    f"run {run + 1}/{args.runs}: COPY {copy_seconds:6.1f} s "
                    f"({results[-1][0]:,.0f} records/s); import {import_seconds:6.1f} s "
                    f"({results[-1][1]:,.0f} records/s); ratio "
                    f"{results[-1][1] / results[-1][0]:.2f}",
                    flush=True,
                )
            sampler.__exit__()  # stop sampling before reading the peaks, server still up
            memory = common.memory_report(sampler)
    copy_rate = common.median([c for c, _ in results])
    import_rate = common.median([i for _, i in results])
    ratio = import_rate / copy_rate
    print()
    print(
        f"Bulk import of {args.records:,} period records, PostgreSQL, jifen serve --workers "
        f"{args.workers}; medians of {args.runs} runs"
    )
    print(
        common.table(
            ["path", "records/s", "seconds"],
            [
                ["COPY FROM STDIN", f"{copy_rate:,.0f}", f"{args.records / copy_rate:.1f}"],
                ["POST /v1/imports", f"{import_rate:,.0f}", f"{args.records / import_rate:.1f}"],
            ],
        )
    )
    verdict = "met" if ratio >= 0.25 else "MISSED"
    print(f"ratio import/COPY: {ratio:.2f} (target >= 0.25: {verdict})")
    print("server memory:")
    print("\n".join(memory))
    print(f"at the end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
