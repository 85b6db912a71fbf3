"""Group commit of the audit rows of reads (issue 18): every read of personal data has its row
committed before its answer leaves, but concurrent requests share one transaction.

On the event loop: the first row queued starts a flush, which inserts every row queued so far
in one statement and then releases each waiting request; rows that arrive meanwhile go in the
next one. A request waits for at most one insert in progress and its own; an insert that fails
fails every request of its group (their answers become 503), none of which was answered
before. On PostgreSQL the insert is one statement through the event loop's pool; on SQLite it
runs in a thread on the engine.
"""

import asyncio
from collections.abc import Awaitable, Callable

import anyio
import sqlalchemy as sa

from app.audit.service import Row, insert_events
from app.db.aio import AsyncPostgres

Insert = Callable[[list[Row]], Awaitable[None]]

# PostgreSQL: a group of rows as one array a column, unnested in one statement (which is its
# own transaction in autocommit). Text as `text[]`: a value longer than its column then fails
# the insert, as the table says, instead of being cut by a cast.
_TYPES = {
    "id": "uuid", "at": "timestamptz", "client": "text", "method": "text", "route": "text",
    "action": "text", "status": "int", "request_id": "text", "holder_id": "uuid",
    "jurisdictions": "text", "filter": "text", "rows": "int",
}  # fmt: skip
INSERT_UNNEST = "INSERT INTO audit_events ({}) SELECT * FROM unnest({})".format(
    ", ".join(_TYPES), ", ".join(f"%({name})s::{kind}[]" for name, kind in _TYPES.items())
)


class AuditWriter:
    def __init__(self, insert: Insert) -> None:
        self.insert = insert
        self._queued: list[tuple[Row, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, engine: sa.Engine, postgres: AsyncPostgres | None) -> "AuditWriter":
        if postgres is not None:

            async def insert_unnested(rows: list[Row]) -> None:
                await postgres.execute(INSERT_UNNEST, {n: [r[n] for r in rows] for n in _TYPES})

            return cls(insert_unnested)

        def insert_in_thread(rows: list[Row]) -> None:
            with engine.begin() as connection:
                insert_events(connection, rows)

        return cls(lambda rows: anyio.to_thread.run_sync(insert_in_thread, rows))

    async def write(self, row: Row) -> None:
        """Return once the row is committed; raise the database's error when it was not."""
        done = asyncio.get_running_loop().create_future()
        self._queued.append((row, done))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        # Shielded: a request whose client left still has its row committed by the flush.
        await asyncio.shield(done)

    async def stop(self) -> None:
        """At shutdown, once the rows queued so far are committed."""
        if self._flushing is not None:
            await self._flushing

    async def _flush(self) -> None:
        try:
            while self._queued:
                group, self._queued = self._queued, []
                try:
                    await self.insert([row for row, _ in group])
                except Exception as exc:  # each waiting request answers 503
                    for _, done in group:
                        done.set_exception(exc)
                else:
                    for _, done in group:
                        done.set_result(None)
        finally:
            self._flushing = None
