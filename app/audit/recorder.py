"""Writes the audit row of each audited request before its answer leaves: a read that cannot
be accounted for is not answered (503 instead). A read's row goes through the process's
`AuditWriter` (group commit); a write's row is handed to its unit of work, committed with what
it stored (`app/idempotency/recorder.py`)."""

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.audit.service import event_from
from app.core import metrics
from app.core.errors import send_problem
from app.core.i18n import tr
from app.core.middleware import ASGIApp, Message, Receive, Scope, Send
from app.db.aio import DatabaseError

UNACCOUNTABLE = tr(
    "The request could not be recorded in the audit trail; retry later.",
    "请求未能记入审计日志，请稍后重试。",
)


class AuditRecorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = False

        async def send_audited(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start":
                event = event_from(scope, scope.get("route"), message["status"])
                if event is not None and "unit" in scope.get("state", {}):
                    scope["state"]["audit_event"] = event
                elif event is not None:
                    writer: Any = scope["app"].state.audit_writer
                    try:
                        await writer.submit(event)
                    except (SQLAlchemyError, DatabaseError):
                        metrics.DATABASE_ERRORS.inc()
                        refused = True
                        await send_problem(scope, send, 503, UNACCOUNTABLE, {"Retry-After": "5"})
                        return
            elif refused:
                return
            await send(message)

        await self.app(scope, receive, send_audited)
