"""Benchmark 1: score throughput against /healthz on the same server (issue #7).

A fresh database holds --holders synthetic holders of 441700 with about 10 residence and 20
insurance periods each. One `jifen serve --workers 2` serves both endpoints; the same load
generator (wrk, else a Python asyncio client) at the same concurrency drives
`GET /v1/holders/{id}/score`, cycling through every holder of the population, and
`GET /healthz`, the baseline: a request that does no work. Runs alternate between the two.
Prints medians over the runs of requests/s and of p50/p99 latency, and the ratio of score to
healthz throughput (issue 18: at least 0.25 and p99 at most 50 ms at -c 16; the aim 0.40).
`--reads` adds the other hot reads of personal data, measured alike in the same runs: `holder`
(`GET /v1/holders/{id}`) and `records` (`GET /v1/holders/{id}/residence-periods`).

    .venv/bin/python bench/score_throughput.py            # defaults of the issue
    .venv/bin/python bench/score_throughput.py --runs 3 --duration 5 --holders 2000
    .venv/bin/python bench/score_throughput.py --reads score holder records
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import common
import httpx
import psycopg

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("JIFEN_BENCH_PATHS")) do paths[#paths + 1] = line end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("JIFEN_BENCH_KEY")
local next_path = 0
request = function()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(
    base_url: str, paths_file: str, key: str, *, seconds: float, connections: int, threads: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        done = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
             "--timeout", "30s", "-s", script.name, base_url],
            env={**os.environ, "JIFEN_BENCH_PATHS": paths_file, "JIFEN_BENCH_KEY": key},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    found = json.loads(line[5:])
    return {
        "rps": found["requests"] / (found["duration_us"] / 1e6),
        "p50_ms": found["p50_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "requests": found["requests"],
        "errors": found["non_2xx"] + found["socket_errors"],
    }


def run_python(
    base_url: str, paths: list[str], key: str, *, seconds: float, connections: int
) -> dict[str, float]:
    """The fallback load generator: `connections` asyncio tasks over one httpx client."""

    async def load() -> dict[str, float]:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=base_url, limits=limits, headers=headers) as client:
            deadline = time.perf_counter() + seconds
            counter = iter(range(10**12))

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    path = paths[next(counter) % len(paths)]
                    started = time.perf_counter()
                    response = await client.get(path)
                    latencies.append(time.perf_counter() - started)
                    errors += response.status_code >= 300

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            elapsed = time.perf_counter() - started
        return {
            "rps": len(latencies) / elapsed,
            "p50_ms": common.percentile(latencies, 50) * 1000,
            "p99_ms": common.percentile(latencies, 99) * 1000,
            "requests": len(latencies),
            "errors": errors,
        }

    return asyncio.run(load())


def holder_ids(database_url: str, limit: int) -> list[str]:
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute("SELECT id FROM holders ORDER BY seq LIMIT ?", (limit,))
            return [str(uuid.UUID(hex=r[0])) for r in rows]
    with psycopg.connect(common.libpq_url(database_url)) as connection:
        rows = connection.execute("SELECT id FROM holders ORDER BY seq LIMIT %s", (limit,))
        return [str(r[0]) for r in rows]


# The reads a run can measure, by name: the path of a holder's.
READS = {
    "score": "/v1/holders/{}/score",
    "holder": "/v1/holders/{}",
    "records": "/v1/holders/{}/residence-periods",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=10_000, help="population (default 10000)")
    parser.add_argument("--residence", default="9-11", help="residence periods per holder")
    parser.add_argument("--insurance", default="18-22", help="insurance periods per holder")
    parser.add_argument("--runs", type=int, default=5, help="runs per endpoint (default 5)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up each")
    parser.add_argument("--connections", type=int, default=16, help="concurrency (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="jifen serve --workers")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reads", nargs="+", choices=list(READS), default=["score"],
        help="reads measured against healthz (default: score)",
    )  # fmt: skip
    args = parser.parse_args()
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")

    def per_holder(text: str) -> tuple[int, int]:
        low, _, high = text.partition("-")
        return int(low), int(high or low)

    print(f"machine: {common.machine()}; {common.load_average()}")
    fresh = (
        common.fresh_postgres_database("score")
        if args.database == "postgresql"
        else common.fresh_sqlite_database("score")
    )
    with fresh as database_url:
        counts, seconds = common.populate(
            database_url, holders=args.holders, seed=args.seed, jurisdiction=common.JURISDICTION,
            residence_per_holder=per_holder(args.residence),
            insurance_per_holder=per_holder(args.insurance),
        )  # fmt: skip
        rows = sum(counts.values())
        print(f"populated {args.database}: {counts} ({rows / seconds:,.0f} rows/s)")
        key = common.create_api_key(
            database_url, ["scores:read", "holders:read"], [common.JURISDICTION]
        )
        ids = holder_ids(database_url, args.holders)
        with common.Server(database_url, workers=args.workers) as server:
            for name in args.reads:
                probe = httpx.get(
                    server.url + READS[name].format(ids[0]),
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert probe.status_code == 200, probe.text
            paths = {"healthz": ["/healthz"]} | {
                name: [READS[name].format(holder_id) for holder_id in ids] for name in args.reads
            }
            files = {}
            for name, lines in paths.items():
                with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
                    handle.write("\n".join(lines) + "\n")
                files[name] = handle.name

            def measure(name: str, seconds: float) -> dict[str, float]:
                if tool == "wrk":
                    return run_wrk(
                        server.url, files[name], key, seconds=seconds,
                        connections=args.connections, threads=args.threads,
                    )  # fmt: skip
                return run_python(
                    server.url, paths[name], key, seconds=seconds, connections=args.connections
                )

            results: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
            sampler = common.MemorySampler(server.pids(), interval=0.2)
            try:
                sampler.__enter__()
                for name in results:
                    measure(name, args.warmup)
                for run in range(args.runs):
                    for name in results:
                        result = measure(name, args.duration)
                        results[name].append(result)
                        print(
                            f"run {run + 1}/{args.runs} {name:8} {result['rps']:9,.0f} req/s  "
                            f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
                            f"errors {result['errors']:.0f}",
                            flush=True,
                        )
            finally:
                sampler.__exit__()
                for file in files.values():
                    Path(file).unlink()
            memory = common.memory_report(sampler)

    summary: dict[str, dict[str, float]] = {
        name: {k: common.median([r[k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms")}
        for name, runs in results.items()
    }
    print()
    print(
        f"Throughput, {args.database}, {args.holders} holders (~{args.residence} residence,"
        f" ~{args.insurance} insurance periods each), {tool} -c {args.connections}"
        f"{f' -t {args.threads}' if tool == 'wrk' else ''}, jifen serve --workers "
        f"{args.workers}, medians of {args.runs} runs of {args.duration:g} s"
    )
    print(
        common.table(
            ["endpoint", "req/s", "p50 ms", "p99 ms", "req/s min..max"],
            [
                [
                    f"GET {name}", f"{s['rps']:,.0f}", f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}",
                    f"{min(r['rps'] for r in results[name]):,.0f}.."
                    f"{max(r['rps'] for r in results[name]):,.0f}",
                ]
                for name, s in summary.items()
            ],
        )
    )  # fmt: skip
    for name in args.reads:
        ratio = summary[name]["rps"] / summary["healthz"]["rps"]
        p99 = summary[name]["p99_ms"]
        verdict = "met" if ratio >= 0.25 and p99 <= 50 else "MISSED"
        print(
            f"ratio {name}/healthz: {ratio:.2f}, {name} p99 {p99:.1f} ms "
            f"(target >= 0.25 and <= 50 ms: {verdict}; aim 0.40)"
        )
    print("server memory:")
    print("\n".join(memory))
    errors = sum(r["errors"] for runs in results.values() for r in runs)
    if errors:
        print(f"error: {errors:.0f} requests failed", file=sys.stderr)
        return 1
    print(f"at the end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
