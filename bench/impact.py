"""Benchmark 4: the impact of a draft policy over a whole population, side by side with the
ranking of the same population in the same runs (issue 17).

PostgreSQL (default 1,000,000 holders of 441700, `jifen bench populate`'s). The draft is the
shipped policy in force with the rent subsidy's points raised (housing tier 1, 20 -> 25) and a
version of its own; its cases still pass (those whose housing outcome the change moves check
housing no more). Each of `--runs` runs picks an `as_of` no ranking walk has used and measures,
in alternating order:

- the ranking: `GET /v1/jurisdictions/441700/ranking?as_of=D&limit=50`, a new walk (every
  holder with a valid permit at D scored and the order stored), timed at the client until the
  answer has arrived, as benchmark 2 times it;
- the impact: `impact_of_draft` (what `jifen policies impact` and the impact runs call) at the
  same D, in a process of its own started for it, timed around the call. Its peak memory is
  that process's: its VmHWM (peak resident set since it started), read from /proc just before
  it exits, and checked against its VmRSS sampled from outside. The interpreter and the
  application's modules are counted too.

Target: the impact at most 3x the ranking's time, and at most 1 GiB of memory.

    .venv/bin/python bench/impact.py                        # 1M holders (~8 min to load)
    .venv/bin/python bench/impact.py --holders 100000 --runs 2
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import common
import ranking

TIER = ("housing", 0)  # the tier whose points the draft moves: the rent subsidy
RAISE = 5
# What a failing case of the draft checks no more, in this order until it passes: what the
# change moves first (projections, then the moved tier's domain), then anything else.
CHECKED = ("projected_on", "levels.{domain}", "levels", "total_points", "insurance_months",
           "residence_months")  # fmt: skip


def draft_document(database_url: str, recount: bool = False) -> dict[str, Any]:
    """The shipped policy of the jurisdiction in force today with TIER's `min_points` raised,
    as a document (with `recount`, insurance counted continuously as well, gaps of at most 3
    months: the draft's months are then counted apart from the policy in force's). Cases whose
    outcome that moves check it no more, so that the draft's own cases pass, as a draft's must."""
    from sqlmodel import Session

    from app.core.config import Settings
    from app.db.session import make_engine
    from app.engine import run_policy_case
    from app.policies.document import parse_policy
    from app.policies.service import PolicyCache

    engine = make_engine(Settings(database_url=database_url, load_policies=False))
    try:
        with Session(engine) as session:
            policy = PolicyCache().get(session).in_force(common.JURISDICTION, date.today())
    finally:
        engine.dispose()
    assert policy is not None, "no policy in force: populate publishes the shipped ones"
    data = policy.served()
    data["version"] = f"{policy.version}-bench-draft"
    domain, index = TIER
    requires = data["domains"][domain][index]["requires"]
    requires["min_points"] = requires.get("min_points", 0) + RAISE
    if recount:
        data["indicators"]["insurance"] |= {"counting": "continuous", "max_gap_months": 3}
    for i, written in enumerate(data["tests"]):
        for key in CHECKED:
            draft = parse_policy(data, "bench draft")
            if not run_policy_case(draft, draft.tests[i]):
                break
            output = written["output"]
            if key.startswith("levels."):
                output.get("levels", {}).pop(domain, None)
            else:
                output.pop(key, None)
    draft = parse_policy(data, "bench draft")
    failures = [m for case in draft.tests for m in run_policy_case(draft, case)]
    assert not failures, failures
    return data


def child(database_url: str, draft_path: str, as_of: str) -> int:
    """In the process started for one impact: the comparison, timed, then what it found and
    the process's peak memory (VmHWM) as one line of JSON."""
    from sqlmodel import Session

    import app.impact.service as service
    from app.core.config import Settings
    from app.db.session import make_engine
    from app.policies.document import parse_policy
    from app.policies.service import PolicyCache

    groups = 0
    facts_groups = service.facts_groups

    def counted(*args: Any) -> Any:  # how many rows left the server, for the report
        nonlocal groups
        for group in facts_groups(*args):
            groups += 1
            yield group

    service.facts_groups = counted  # type: ignore[assignment]
    draft = parse_policy(json.loads(Path(draft_path).read_text(encoding="utf-8")), "draft")
    engine = make_engine(Settings(database_url=database_url, load_policies=False))
    with Session(engine) as session:
        book = PolicyCache().get(session)
        started = time.perf_counter()
        impact = service.impact_of_draft(session, book, draft, date.fromisoformat(as_of))
        seconds = time.perf_counter() - started
    engine.dispose()
    result = impact.as_json()
    print(json.dumps({
        "seconds": seconds, "holders": result["holders"], "groups": groups,
        "vmhwm_kib": common.memory_kib(os.getpid())["VmHWM"],
        "housing": result["domains"]["housing"]["transitions"],
    }))  # fmt: skip
    return 0


def run_impact(database_url: str, draft_path: str, as_of: date) -> dict[str, Any]:
    """One impact in a child process: its report, its wall time, and the peak of its VmRSS
    sampled from outside every 50 ms (a check on the VmHWM it reports itself).

    Not the `ru_maxrss` that `wait4` gives: on Linux a child's counts the memory of the parent
    it was forked from (the kernel keeps the high-water mark of the address space `exec`
    replaced), so it says more about this script than about the impact."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "child", database_url, draft_path, as_of.isoformat()],
        env=common.service_env(database_url), stdout=subprocess.PIPE, cwd=common.ROOT,
    )  # fmt: skip
    with common.MemorySampler([process.pid]) as sampler:
        output, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the impact's process exited with {process.returncode}")
    report: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    report["wall"] = time.perf_counter() - started
    report["sampled_kib"] = sampler.peak_total_kib
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=1_000_000, help="PostgreSQL population")
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="jifen serve --workers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--recount", action="store_true",
        help="the draft also counts insurance otherwise (continuous): its months counted apart",
    )  # fmt: skip
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
    print(f"machine: {common.machine()}; {common.load_average()}", flush=True)
    with common.fresh_postgres_database("impact", keep=args.keep_database) as new_url:
        database_url = args.database_url or new_url
        if not args.database_url:
            counts, seconds = common.populate(
                database_url, holders=args.holders, seed=args.seed, jurisdiction=common.JURISDICTION
            )
            rows = sum(counts.values())
            print(f"populated: {counts} in {seconds:.0f} s ({rows / seconds:,.0f} rows/s)")
        key = common.create_api_key(database_url, ["scores:read"], [common.JURISDICTION])
        with tempfile.TemporaryDirectory(prefix="jifen_bench_impact_") as folder:
            draft_path = str(Path(folder) / "draft.json")
            draft = draft_document(database_url, args.recount)
            Path(draft_path).write_text(json.dumps(draft), "utf-8")
            settings = {"db_timeout_seconds": str(args.db_timeout)} if args.db_timeout else {}
            with common.Server(database_url, workers=args.workers, settings=settings) as server:
                results = bench_runs(database_url, draft_path, server, key, args.runs)
    summarise(results, args)
    return 0


def bench_runs(
    database_url: str, draft_path: str, server: common.Server, key: str, runs: int
) -> list[dict[str, Any]]:
    used = ranking.used_dates(database_url)

    def new_date() -> date:  # a date no walk has used: a new snapshot, every holder ranked
        day = next(
            day
            for back in range(1, 10_000)
            if (day := date.today() - timedelta(days=back)) not in used
        )
        used.add(day)
        return day

    # Warm-up, not counted: the tables in the cache once for both.
    warm = new_date()
    ranking.first_page(server, key, warm)
    run_impact(database_url, draft_path, warm)
    results = []
    for run in range(runs):
        as_of = new_date()
        holders = ranking.valid_holders(database_url, as_of)
        timed: dict[str, Any] = {}
        for step in ("ranking", "impact") if run % 2 == 0 else ("impact", "ranking"):
            if step == "ranking":
                timed["ranking"], _ = ranking.first_page(server, key, as_of)
            else:
                timed["impact"] = run_impact(database_url, draft_path, as_of)
        impact = timed["impact"]
        if impact["holders"] != holders:
            raise RuntimeError(f"the impact counted {impact['holders']} holders, not {holders}")
        peak = max(impact["sampled_kib"], impact["vmhwm_kib"]) / 1024
        results.append({"as_of": as_of, "holders": holders, **timed, "peak_mib": peak})
        print(
            f"run {run + 1}/{runs} as_of {as_of}: ranking {timed['ranking']:6.2f} s, impact "
            f"{impact['seconds']:6.2f} s ({impact['wall']:.2f} s with the process's start), "
            f"ratio {impact['seconds'] / timed['ranking']:5.2f}; {holders:,} holders in "
            f"{impact['groups']:,} groups; impact's peak memory {peak:.0f} MiB "
            f"(VmHWM {impact['vmhwm_kib'] / 1024:.0f}, sampled VmRSS "
            f"{impact['sampled_kib'] / 1024:.0f}); housing {impact['housing']}",
            flush=True,
        )
    return results


def summarise(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    ranking_median = common.median([r["ranking"] for r in results])
    impact_median = common.median([r["impact"]["seconds"] for r in results])
    ratio = impact_median / ranking_median
    peak = max(r["peak_mib"] for r in results)
    print()
    print("Impact of a draft against the ranking of the same population, same runs; medians")
    print(
        common.table(
            ["holders", "valid at D", "runs", "ranking s", "impact s", "ratio", "target",
             "groups read", "impact's peak MiB"],
            [[f"{args.holders:,}", f"{results[-1]['holders']:,}", len(results),
              f"{ranking_median:.2f}", f"{impact_median:.2f}", f"{ratio:.2f}",
              "<= 3: " + ("met" if ratio <= 3 else "MISSED"),
              f"{results[-1]['impact']['groups']:,}",
              f"{peak:.0f} (<= 1024: " + ("met" if peak <= 1024 else "MISSED") + ")"]],
        )
    )  # fmt: skip
    print(f"at the end: {common.load_average()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        sys.exit(child(*sys.argv[2:5]))
    sys.exit(main())
