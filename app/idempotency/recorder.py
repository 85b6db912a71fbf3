"""Keeps the answer of a request that took an idempotency key (see `deps.idempotent`), once it
has been sent: replayed to retries for 24 hours; a 5xx, or a crash, releases the key."""

from typing import Any

import anyio
from sqlmodel import Session

from app.core.middleware import ASGIApp, Message, Receive, Scope, Send
from app.idempotency.service import Claim, settle

REPLAYED_HEADERS = (b"content-type", b"location", b"etag")


class IdempotencyRecorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status = 500
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() in REPLAYED_HEADERS:
                        headers[name.decode("latin-1")] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            held: Claim | None = scope.get("state", {}).get("idempotency")
            if held is not None:
                engine: Any = scope["app"].state.engine
                await anyio.to_thread.run_sync(
                    _settle, engine, held, status, headers, b"".join(chunks)
                )


def _settle(engine: Any, held: Claim, status: int, headers: dict[str, str], body: bytes) -> None:
    with Session(engine) as session:
        settle(session, held, status, headers, body)
