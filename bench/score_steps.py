"""Where a score request's time goes: each step of `GET /v1/holders/{id}/score` timed on its
own, in one process, against whole requests through the ASGI app (issue #7, benchmark 1's
profile).

Benchmark 1 compares the score's throughput with /healthz's; this script says why the ratio is
what it is. A fresh PostgreSQL database holds --holders synthetic holders (about 10 residence
and 20 insurance periods each). Each step runs --requests times, one after another, and prints
its median wall time and its CPU time (user + system, from getrusage) a call:

- whole requests through the app (httpx's ASGI transport, so no network): `/healthz`, then the
  score;
- each step the score route takes, called directly: a session's first statement, the one
  statement that reads the cache versions, the holder and its records, the API key and the
  policy book as the worker keeps them (checked against those versions), the engine and its
  JSON, and the audit row (through the group-committing writer, one at a time here: a group
  of one).

    .venv/bin/python bench/score_steps.py
"""

import argparse
import asyncio
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import common
import httpx
import psycopg
import sqlalchemy as sa
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.writer import AuditWriter
from app.clients.service import ClientCache
from app.core.config import Settings
from app.db.base import utcnow
from app.db.session import make_engine
from app.db.versions import CLIENTS, POLICIES
from app.main import create_app
from app.policies.service import PolicyCache
from app.scoring import service

AS_OF = date(2026, 1, 1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(calls: int, step: Callable[[int], Any]) -> tuple[float, float]:
    """Median wall milliseconds a call, and mean CPU milliseconds a call."""
    step(0)  # warm: compiled statements, pool
    walls = []
    cpu_before = cpu_seconds()
    for i in range(calls):
        started = time.perf_counter()
        step(i)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls) * 1000, (cpu_seconds() - cpu_before) / calls * 1000


def requests_through_app(app: Any, key: str, paths: list[str]) -> Callable[[int], Any]:
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {key}"},
    )

    def request(i: int) -> None:
        response = loop.run_until_complete(client.get(paths[i % len(paths)]))
        if response.status_code != 200:
            raise RuntimeError(f"{paths[i % len(paths)]} answered {response.status_code}")

    return request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=1000, help="calls of each step")
    args = parser.parse_args()
    print(f"machine: {common.machine()}; {common.load_average()}")
    with common.fresh_postgres_database("steps") as url:
        common.populate(
            url, holders=args.holders, seed=1, jurisdiction=common.JURISDICTION,
            residence_per_holder=(9, 11), insurance_per_holder=(18, 22),
        )  # fmt: skip
        key = common.create_api_key(url, ["scores:read"], [common.JURISDICTION])
        with psycopg.connect(common.libpq_url(url)) as connection:
            ids = [str(row[0]) for row in connection.execute("SELECT id FROM holders")]
        settings = Settings(database_url=url, load_policies=False, log_level="warning")
        app = create_app(settings)
        engine = make_engine(settings)
        cache, clients, writer = PolicyCache(), ClientCache(), AuditWriter(engine)
        uuids = [uuid.UUID(i) for i in ids]
        with Session(engine, expire_on_commit=False) as session:
            first = service.read_for_score(session.connection(), uuids[0])
            versions = first.versions
            assert clients.authenticate(session, key, utcnow(), versions[CLIENTS]) is not None
            policy = cache.get(session, versions[POLICIES]).in_force(common.JURISDICTION, AS_OF)
            assert policy is not None
            records = [service.read_for_score(session.connection(), i).records for i in uuids]

        def in_session(step: Callable[[Session, int], Any]) -> Callable[[int], Any]:
            def call(i: int) -> Any:
                with Session(engine, expire_on_commit=False) as session:
                    return step(session, i % len(ids))

            return call

        loop = asyncio.new_event_loop()

        def audit_row(i: int) -> None:
            event = AuditEvent(
                client="bench", method="GET", route="/v1/holders/{holder_id}/score",
                action="readScore", status=200, request_id=uuid.uuid4().hex,
                holder_id=uuids[i % len(ids)], jurisdictions=" 441700 ",
            )  # fmt: skip
            loop.run_until_complete(writer.write(event))

        def engine_and_json(i: int) -> bytes:
            """The engine, then the answer's JSON bytes as the route writes them."""
            n = i % len(ids)
            answer = service.compute_score(records[n], policy, AS_OF).of_holder(uuids[n])
            return answer.model_dump_json().encode()

        score_paths = [f"/v1/holders/{i}/score?as_of={AS_OF}" for i in ids]
        steps: list[tuple[str, Callable[[int], Any]]] = [
            ("request: GET /healthz", requests_through_app(app, key, ["/healthz"])),
            ("request: GET /v1/holders/{id}/score", requests_through_app(app, key, score_paths)),
            ("step: session, first statement",
             in_session(lambda s, i: s.execute(sa.text("SELECT 1")))),
            ("step: versions, holder and records (one statement)",
             in_session(lambda s, i: service.read_for_score(s.connection(), uuids[i]))),
            ("step: API key, as the worker keeps it",
             in_session(lambda s, i: clients.authenticate(s, key, utcnow(), versions[CLIENTS]))),
            ("step: policy book, as the worker keeps it",
             in_session(lambda s, i: cache.get(s, versions[POLICIES]))),
            ("step: engine and JSON", engine_and_json),
            ("step: audit row (group commit, a group of one)", audit_row),
        ]  # fmt: skip
        print(f"\n{args.requests} calls each, one at a time, {args.holders} holders")
        rows = []
        for name, step in steps:
            wall, cpu = timed(args.requests, step)
            rows.append([name, f"{wall:.3f}", f"{cpu:.3f}"])
        print(common.table(["", "wall ms (median)", "CPU ms (mean)"], rows))
        writer.stop()
        engine.dispose()
        app.state.engine.dispose()
    print(f"at the end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
