"""The audit trail, read back (SPEC §7): scope audit:read, in the order rows were written."""

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.deps import AuditReader, Cursor, Limit, QueryText, SessionDep, SettingsDep
from app.audit.models import AuditEvent
from app.audit.service import list_events, parse_since
from app.core.errors import problem_responses
from app.core.fields import left_out_when_none

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditRow(BaseModel):
    id: uuid.UUID
    at: datetime
    client: str
    method: str
    route: str
    action: str
    status: int
    request_id: str
    holder_id: uuid.UUID | None = left_out_when_none()
    jurisdictions: list[str]
    filter: dict[str, Any] | None = left_out_when_none()
    rows: int | None = left_out_when_none()


class AuditPage(BaseModel):
    items: list[AuditRow]
    next_cursor: str | None


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        id=event.id,
        at=event.at,
        client=event.client,
        method=event.method,
        route=event.route,
        action=event.action,
        status=event.status,
        request_id=event.request_id,
        holder_id=event.holder_id,
        jurisdictions=event.jurisdictions.split(),
        filter=json.loads(event.filter) if event.filter is not None else None,
        rows=event.rows,
    )


@router.get(
    "/audit",
    operation_id="listAuditEvents",
    summary="List audit events",
    response_model=AuditPage,
    responses=problem_responses(401, 403, 422),
)
def list_audit_events(
    client: AuditReader,
    session: SessionDep,
    settings: SettingsDep,
    holder_id: uuid.UUID | None = None,
    client_name: Annotated[str | None, Query(alias="client", max_length=100), QueryText] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="RFC 3339 time or a date"), QueryText
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditPage:
    items, next_cursor = list_events(
        session,
        client,
        holder_id=holder_id,
        client_name=client_name,
        since=parse_since(since, settings.zone),
        limit=limit,
        cursor=cursor,
    )
    return AuditPage(items=[_row(e) for e in items], next_cursor=next_cursor)
