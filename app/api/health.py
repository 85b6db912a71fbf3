"""Liveness and readiness (SPEC §8)."""

from typing import Any

from anyio import from_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.core.metrics import exposition
from app.db.aio import AsyncPostgres, DatabaseError
from app.db.migrations import current_revision, schema_behind

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    operation_id="readMetrics",
    summary="Read Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def read_metrics() -> Response:
    """Prometheus metrics of every worker process."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)


@router.get("/healthz", operation_id="checkHealth", summary="Check that the service is alive")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="checkReadiness",
    summary="Check that the service is ready",
    responses={503: {"description": "Database unreachable or migrations not at head"}},
)
def readyz(request: Request) -> Any:
    """The database answers and its schema is at this release's head revision (or at a newer
    one, which a rolling deployment's migration has just applied for the next release)."""
    postgres: AsyncPostgres | None = request.app.state.postgres
    try:
        current = current_revision(request.app.state.engine)
        if postgres is not None:  # and the event loop's pool, which the hottest reads use
            from_thread.run(postgres.execute, "SELECT 1", {})
    except (SQLAlchemyError, DatabaseError):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if schema_behind(current):
        return JSONResponse(
            {"status": "unavailable", "database": "migrations not at head"}, status_code=503
        )
    return {"status": "ok"}
