"""The application: `create_app(settings)` builds it; nothing happens at import."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from app.api import health
from app.api.openapi import build_openapi
from app.api.v1 import (
    audit,
    endorsements,
    holders,
    impact,
    imports,
    policies,
    rankings,
    records,
    scores,
)
from app.audit.recorder import AuditRecorder
from app.audit.writer import audit_writer
from app.clients.service import ClientCache
from app.core.config import Settings
from app.core.errors import install_error_handlers
from app.core.metrics import record_build_info
from app.core.middleware import BodyLimit, RequestObserver
from app.db.aio import AsyncPostgres
from app.db.base import utcnow
from app.db.session import make_engine, single_statement_engine
from app.idempotency.recorder import OutcomeRecorder
from app.idempotency.service import Replay
from app.impact.jobs import ImpactRunner
from app.policies.service import PolicyCache
from app.scoring.service import ScoreReads


def app_version() -> str:
    try:
        return version("jifen")
    except PackageNotFoundError:
        return "0.0.0"


async def replay_answer(request: Request, replay: Replay) -> Response:
    """A retry under an idempotency key: the first answer again (SPEC §7)."""
    headers = {**replay.headers, "Idempotent-Replayed": "true"}
    return Response(replay.body, status_code=replay.status, headers=headers)


@asynccontextmanager
async def event_loop_parts(app: FastAPI) -> AsyncIterator[None]:
    """What lives on the serving event loop: PostgreSQL's async pool, the audit writer and
    the score's grouped reads."""
    settings: Settings = app.state.settings
    postgres = None if settings.is_sqlite else AsyncPostgres(settings)
    if postgres is not None:
        await postgres.open()
    app.state.postgres = postgres
    app.state.audit_writer = audit_writer(app.state.engine, postgres)
    app.state.score_reads = None if postgres is None else ScoreReads(postgres)
    # What start-up built lives as long as the worker: out of the collector's sight, a full
    # collection scans only what requests left (150,000 objects took it 120 ms, a stall of
    # every request in flight, every few seconds under load). Back in sight at shutdown.
    gc.freeze()
    try:
        yield
    finally:
        app.state.impact_runner.stop()  # the running impact stops at its next step
        await app.state.audit_writer.stop()  # once the rows queued are committed
        if postgres is not None:
            await postgres.close()
        gc.unfreeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Swagger UI's assets come from the fastapi-offline package: /docs works on an intranet.
    app = FastAPIOffline(
        title="jifen",
        version=app_version(),
        redoc_url=None,
        static_url="/docs/assets",
        lifespan=event_loop_parts,
        # Metrics are Prometheus' (app/core/metrics.py); FastAPI's OpenTelemetry hooks, off,
        # cost every request a look for providers (3 % of a score's CPU).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.single_statement_engine = single_statement_engine(app.state.engine)
    app.state.policy_cache = PolicyCache()
    app.state.client_cache = ClientCache()
    install_error_handlers(app)
    app.add_exception_handler(Replay, replay_answer)  # type: ignore[arg-type]
    # Outermost last: the request log sees every answer, 413 comes before authentication,
    # and the audit row is written (a write's with what it stored) before an answer leaves.
    app.state.clock = utcnow  # tests move time forward here (key expiry, rate windows)
    # Impact runs go on in a thread of this process; the clock is read through app.state.
    app.state.impact_runner = ImpactRunner(
        app.state.engine, app.state.policy_cache, lambda: app.state.clock()
    )
    app.add_middleware(AuditRecorder)
    app.add_middleware(OutcomeRecorder)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        streamed={"/v1/imports": settings.max_import_bytes},
    )
    app.add_middleware(RequestObserver)
    record_build_info(app.version)
    app.include_router(health.router)
    # Routes are matched in this order: scores first, the route a mobile app calls most.
    for router in [
        scores.router,
        holders.router,
        *records.routers,
        endorsements.router,
        policies.router,
        rankings.router,
        audit.router,
        imports.router,
        impact.router,
    ]:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, app.version)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
