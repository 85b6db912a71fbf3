"""ASGI middleware: request ids, the request log and metrics, and body limits.

Pure ASGI (no BaseHTTPMiddleware): bodies and streamed answers pass through untouched.
"""

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.core import metrics
from app.core.errors import send_problem
from app.core.i18n import tr

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("jifen.request")

# A client's request id is kept when it looks like one; a run of 15 digits or more could be an
# ID number, which must never reach the logs, so such an id is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_LONG_DIGITS = re.compile(r"[0-9]{15,}")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text) and not _LONG_DIGITS.search(text):
                return text
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's template (`/v1/holders/{holder_id}`), never the raw path: bounded
    metric labels and no ids in logs."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestObserver:
    """One JSON log line and the request metrics per request; `X-Request-ID` in and out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            labels = {
                "method": scope["method"],
                "route": route,
                "status": metrics.status_class(status),
            }
            metrics.REQUESTS.labels(**labels).inc()
            metrics.REQUEST_SECONDS.labels(**labels).observe(seconds)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": scope["state"].get("client_name"),
                },
            )


class BodyLimit:
    """413 before anything else (SPEC §7 step 1): a body over the limit is refused as it
    arrives. Ordinary bodies are read here in full (at most the limit), so that an oversized
    one is refused before authentication; streamed routes (imports) get a counting stream and
    meet their own, larger limit while they read."""

    def __init__(self, app: ASGIApp, limit: int, streamed: dict[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed  # path -> limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.streamed.get(scope["path"], self.limit)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, send, limit)
            return
        if scope["path"] in self.streamed:
            scope.setdefault("state", {})["body_limit"] = limit
            await self.app(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(scope, send, limit)
                return
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # after the body: wait for a disconnect
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    detail = tr(f"The body is larger than {limit} bytes.", f"请求体超过 {limit} 字节。")
    await send_problem(scope, send, 413, detail, {"Connection": "close"})
