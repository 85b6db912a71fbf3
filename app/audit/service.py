"""Writing and reading the audit trail (SPEC §7 "Audit")."""

import json
import uuid
from collections.abc import Iterable, MutableMapping
from datetime import date, datetime, time, tzinfo
from typing import Any, Protocol

import sqlalchemy as sa
from fastapi import Request
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.errors import invalid
from app.core.i18n import tr
from app.core.paging import after_seq, page_of
from app.db.base import table_of, utcnow


class Reader(Protocol):
    """Who reads the trail: an API client's jurisdictions (`app.clients.models.ApiClient`)."""

    @property
    def all_jurisdictions(self) -> bool: ...

    @property
    def jurisdiction_set(self) -> frozenset[str]: ...


# Routes of these tags read or write personal data (an impact reads the whole register and
# answers holder ids): each of their requests is audited.
AUDITED_TAGS = frozenset({"holders", "records", "scores", "imports", "impact"})


def note(
    request: Request,
    *,
    holder_id: uuid.UUID | None = None,
    jurisdictions: Iterable[str] = (),
    filter: dict[str, Any] | None = None,
    rows: int | None = None,
) -> None:
    """What the route learnt about its request, for the audit row written when it answers."""
    state: dict[str, Any] = request.scope.setdefault("state", {}).setdefault("audit", {})
    if holder_id is not None:
        state["holder_id"] = holder_id
    if jurisdictions:
        state["jurisdictions"] = sorted(set(jurisdictions))
    if filter is not None:
        state["filter"] = {k: v for k, v in filter.items() if v is not None}
    if rows is not None:
        state["rows"] = rows


# An audit row as its columns: built on every audited request, which a model's validation
# would cost more than the row's insert (issue 18).
Row = dict[str, Any]


def event_from(scope: MutableMapping[str, Any], route: Any, status: int) -> Row | None:
    """The row for a finished request, or None when it is not audited (no personal data, or
    no authenticated client to name)."""
    state = scope.get("state", {})
    client = state.get("client_name")
    if client is None or not AUDITED_TAGS.intersection(getattr(route, "tags", None) or []):
        return None
    audit: dict[str, Any] = state.get("audit", {})
    filter_ = audit.get("filter")
    jurisdictions = audit.get("jurisdictions", []) if status != 404 else []
    return {
        "id": uuid.uuid4(),
        "at": utcnow(),
        "client": client,
        "method": scope["method"],
        "route": route.path,
        "action": getattr(route, "operation_id", None) or route.name,
        "status": status,
        "request_id": state.get("request_id", ""),
        "holder_id": audit.get("holder_id") if status != 404 else None,
        "jurisdictions": " " + " ".join(jurisdictions) + " " if jurisdictions else "",
        "filter": json.dumps(filter_, ensure_ascii=False, sort_keys=True)
        if filter_ is not None
        else None,
        "rows": audit.get("rows"),
    }


def insert_events(connection: sa.Connection, rows: list[Row]) -> None:
    """Rows in the caller's transaction (a write's, committed with what it stored), in this
    order."""
    connection.execute(sa.insert(table_of(AuditEvent)), rows)


def visible_to(client: Reader) -> Any:
    """A client sees rows whose jurisdictions it all holds; a row naming none, only with every
    jurisdiction (SPEC §7). Tested in SQL by striking out each held code."""
    if client.all_jurisdictions:
        return sa.true()
    remaining: Any = col(AuditEvent.jurisdictions)
    for code in sorted(client.jurisdiction_set):
        remaining = sa.func.replace(remaining, f" {code} ", " ")
    return sa.and_(col(AuditEvent.jurisdictions) != "", sa.func.trim(remaining) == "")


def list_events(
    session: Session,
    client: Reader,
    *,
    holder_id: uuid.UUID | None,
    client_name: str | None,
    since: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEvent], str | None]:
    query = select(AuditEvent).where(col(AuditEvent.seq) > after_seq(cursor), visible_to(client))
    if holder_id is not None:
        query = query.where(AuditEvent.holder_id == holder_id)
    if client_name is not None:
        query = query.where(AuditEvent.client == client_name)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    rows = session.exec(query.order_by(col(AuditEvent.seq)).limit(limit + 1)).all()
    return page_of(rows, limit)


def parse_since(value: str | None, zone: tzinfo) -> datetime | None:
    """The `since` of a reading of the trail: an RFC 3339 time with its offset, or a date
    meaning its midnight in `zone` (JIFEN_TIMEZONE); 422 for anything else."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), zone)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise invalid(
            "since",
            tr(
                "An RFC 3339 time with its offset, or a date.", "应为带时区的 RFC 3339 时间或日期。"
            ),
        )
    return moment
