"""Finishes each request's outcome before its answer leaves.

A write request holds a unit of work (`app/db/unit.py`): what it stored, its audit row and the
answer kept under its Idempotency-Key are committed together, after the answer is complete and
before any of it is sent. If that commit fails, nothing of the request is kept, its key is
released, and the answer is a 503: a retry with the same key runs again. A 5xx answer keeps
nothing but its audit row. An import (no unit: its chunks commit as they go) keeps its
answer under its key once it has been sent.
"""

from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.audit.service import Row, insert_events
from app.core import metrics
from app.core.errors import send_problem
from app.core.i18n import tr
from app.core.middleware import ASGIApp, Message, Receive, Scope, Send
from app.db.unit import UnitOfWork
from app.idempotency.service import Claim, LostClaim, keep_answer, settle

REPLAYED_HEADERS = (b"content-type", b"location", b"etag")

NOT_STORED = tr(
    "The request could not be completed and nothing of it was stored; retry later.",
    "请求未能完成，未保存任何内容，请稍后重试。",
)


class OutcomeRecorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "GET":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)
            if not _unit(scope):  # no unit of work: nothing to wait for
                await send(message)

        try:
            await self.app(scope, receive, hold)
        finally:
            unit = scope.get("state", {}).pop("unit", None)
            if unit is None:
                await _settle_after(scope, held)
            else:
                # Shielded: a client that goes away must not leave the unit neither committed
                # nor rolled back (its connection would stay out of the pool).
                with anyio.CancelScope(shield=True):
                    keep = await anyio.to_thread.run_sync(_finish, scope, unit, _status(held), held)
        if unit is not None:
            if keep:
                for message in held:
                    await send(message)
            else:
                await send_problem(scope, send, 503, NOT_STORED, {"Retry-After": "5"})


def _status(held: list[Message]) -> int:
    return next((m["status"] for m in held if m["type"] == "http.response.start"), 500)


def _unit(scope: Scope) -> UnitOfWork | None:
    unit: UnitOfWork | None = scope.get("state", {}).get("unit")
    return unit


def _answer(held: list[Message]) -> tuple[dict[str, str], bytes]:
    headers: dict[str, str] = {}
    for message in held:
        if message["type"] == "http.response.start":
            for name, value in message.get("headers", []):
                if name.lower() in REPLAYED_HEADERS:
                    headers[name.decode("latin-1")] = value.decode("latin-1")
    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    return headers, body


def _finish(scope: Scope, unit: UnitOfWork, status: int, held: list[Message]) -> bool:
    """Commit the unit with its audit row and idempotency answer. Whether to send the answer:
    False when the commit failed (a 503 goes instead). A 5xx keeps nothing but its audit row."""
    state = scope["state"]
    claim: Claim | None = state.get("idempotency")
    event: Row | None = state.pop("audit_event", None)
    engine: Any = scope["app"].state.engine
    if status < 500:
        try:
            if event is not None:
                insert_events(unit.connection, [event])
            if claim is not None:
                keep_answer(unit.connection, claim, status, *_answer(held))
            unit.commit()
            return True
        except (SQLAlchemyError, LostClaim) as exc:
            if isinstance(exc, SQLAlchemyError):
                metrics.DATABASE_ERRORS.inc()
            if event is not None:
                event = {**event, "status": 503}
    # Nothing of the request is kept, its key's claim included (a retry runs again); its
    # audit row is written on its own, if the database lets it.
    unit.rollback()
    if event is not None:
        try:
            with engine.begin() as connection:
                insert_events(connection, [event])
        except SQLAlchemyError:
            metrics.DATABASE_ERRORS.inc()
    return status >= 500  # a 5xx is sent as it is; a failed commit becomes a 503


async def _settle_after(scope: Scope, held: list[Message]) -> None:
    """No unit of work (an import): keep its answer under its key once it has been sent."""
    claim: Claim | None = scope.get("state", {}).get("idempotency")
    if claim is None:
        return
    status = _status(held)
    engine: Any = scope["app"].state.engine
    headers, body = _answer(held)

    def run() -> None:
        with Session(engine) as session:
            settle(session, claim, status, headers, body)

    try:
        await anyio.to_thread.run_sync(run)
    except SQLAlchemyError:
        metrics.DATABASE_ERRORS.inc()
