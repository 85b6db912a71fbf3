"""Liveness and readiness (SPEC §8)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrations import current_revision, head_revision

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="checkHealth")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="checkReadiness",
    responses={503: {"description": "Database unreachable or migrations not at head"}},
)
def readyz(request: Request) -> Any:
    """The database answers and its schema is at the head revision."""
    try:
        current = current_revision(request.app.state.engine)
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    head = head_revision()
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "database": "migrations not at head"}, status_code=503
        )
    return {"status": "ok"}
