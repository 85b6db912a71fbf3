"""Where a score request's time goes: each step of `GET /v1/holders/{id}/score` timed on its
own, in one process, against whole requests through the ASGI app (issue #7, issue 18).

Benchmark 1 compares the score's throughput with /healthz's; this script says why the ratio is
what it is. A fresh PostgreSQL database holds --holders synthetic holders (about 10 residence
and 20 insurance periods each). The app runs with its lifespan (its event loop's pool and audit
writer) in this process; each step runs --requests times, one after another, and prints its
median wall time and its CPU time (user + system, from getrusage) a call:

- whole requests through the app (httpx's ASGI transport, so no network): `/healthz`, then the
  score;
- each step the score route takes, called directly: the one statement that reads the cache
  versions, the holder and its records (through the event loop's pool), the API key and the
  policy book as the worker keeps them, the engine, the answer's JSON, and the audit row
  (through the group-committing writer, one at a time here: a group of one);
- the other hot reads as whole requests (a holder, a page of its residence periods) and their
  one statement each (`app/register/reads.py`).

    .venv/bin/python bench/score_steps.py
"""

import argparse
import asyncio
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import common
import httpx

from app.api.hot_reads import DEFAULT_LIMIT
from app.audit.service import Row
from app.core.config import Settings
from app.db.base import utcnow
from app.db.versions import CLIENTS, POLICIES
from app.main import create_app
from app.register import reads as register_reads
from app.register.models import ResidencePeriod
from app.scoring import service

AS_OF = date(2026, 1, 1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def timed(calls: int, step: Callable[[int], Awaitable[Any]]) -> tuple[float, float]:
    """Median wall milliseconds a call, and mean CPU milliseconds a call."""
    await step(0)  # warm: prepared statements, pool
    walls = []
    cpu_before = cpu_seconds()
    for i in range(calls):
        started = time.perf_counter()
        await step(i)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls) * 1000, (cpu_seconds() - cpu_before) / calls * 1000


def plain(call: Callable[[int], Any]) -> Callable[[int], Awaitable[Any]]:
    async def step(i: int) -> Any:
        return call(i)

    return step


async def steps(url: str, key: str, ids: list[str], calls: int) -> list[list[str]]:
    settings = Settings(database_url=url, load_policies=False, log_level="warning")
    app = create_app(settings)
    uuids = [uuid.UUID(i) for i in ids]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {key}"},
        ) as client,
    ):
        state = app.state

        def requests(paths: list[str]) -> Callable[[int], Awaitable[None]]:
            async def request(i: int) -> None:
                response = await client.get(paths[i % len(paths)])
                if response.status_code != 200:
                    raise RuntimeError(f"{paths[i % len(paths)]} answered {response.status_code}")

            return request

        score_paths = [f"/v1/holders/{i}/score?as_of={AS_OF}" for i in ids]
        await requests(score_paths)(0)  # the worker now keeps the client and the policies
        first = await state.score_reads.submit(uuids[0])
        versions = first.versions
        book = state.policy_cache.kept(versions[POLICIES])
        policy = book.in_force(common.JURISDICTION, AS_OF)
        reads = [await state.score_reads.submit(i) for i in uuids]
        answers = [service.compute_score(r.records, policy, AS_OF) for r in reads]

        def audit_row(i: int) -> Row:
            return {
                "id": uuid.uuid4(), "at": utcnow(), "client": "bench", "method": "GET",
                "route": "/v1/holders/{holder_id}/score", "action": "readScore", "status": 200,
                "request_id": uuid.uuid4().hex, "holder_id": uuids[i % len(ids)],
                "jurisdictions": " 441700 ", "filter": None, "rows": None,
            }  # fmt: skip

        n = len(ids)
        measured: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
            ("request: GET /healthz", requests(["/healthz"])),
            ("request: GET /v1/holders/{id}/score", requests(score_paths)),
            ("step: versions, holder and records (one statement, the event loop's pool)",
             lambda i: state.score_reads.submit(uuids[i % n])),
            ("step: API key and policy book, as the worker keeps them",
             plain(lambda i: (state.client_cache.kept(key, utcnow(), versions[CLIENTS]),
                              state.policy_cache.kept(versions[POLICIES])))),
            ("step: engine",
             plain(lambda i: service.compute_score(reads[i % n].records, policy, AS_OF))),
            ("step: the answer's JSON", plain(lambda i: answers[i % n].model_dump_json())),
            ("step: audit row (group commit, a group of one)",
             lambda i: state.audit_writer.submit(audit_row(i))),
            ("request: GET /v1/holders/{id}", requests([f"/v1/holders/{i}" for i in ids])),
            ("step: versions and holder (one statement)",
             lambda i: register_reads.read_holder(state.postgres, uuids[i % n])),
            ("request: GET /v1/holders/{id}/residence-periods",
             requests([f"/v1/holders/{i}/residence-periods" for i in ids])),
            ("step: versions, holder and a page (one statement)",
             lambda i: register_reads.read_records(
                 state.postgres, ResidencePeriod, uuids[i % n], 0, DEFAULT_LIMIT + 1)),
        ]  # fmt: skip
        rows = []
        for name, step in measured:
            wall, cpu = await timed(calls, step)
            rows.append([name, f"{wall:.3f}", f"{cpu:.3f}"])
        return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=1000, help="calls of each step")
    args = parser.parse_args()
    print(f"machine: {common.machine()}; {common.load_average()}")
    with common.fresh_postgres_database("steps") as url:
        key, ids = common.scored_population(url, args.holders)
        rows = asyncio.run(steps(url, key, ids, args.requests))
    print(f"\n{args.requests} calls each, one at a time, {args.holders} holders")
    print(common.table(["", "wall ms (median)", "CPU ms (mean)"], rows))
    print(f"at the end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
