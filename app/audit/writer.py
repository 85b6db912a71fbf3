"""The audit rows of reads, committed by group (issue 18, `app/core/grouped.py`): every read of
personal data has its row committed before its answer leaves, but concurrent requests share
one insert. On PostgreSQL the insert is one statement through the event loop's pool; on SQLite
it runs in a thread on the engine."""

import anyio
import sqlalchemy as sa

from app.audit.service import Row, insert_events
from app.core.grouped import Grouped
from app.db.aio import AsyncPostgres

AuditWriter = Grouped[Row, None]

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


def audit_writer(engine: sa.Engine, postgres: AsyncPostgres | None) -> AuditWriter:
    if postgres is not None:

        async def insert_unnested(rows: list[Row]) -> list[None]:
            await postgres.execute(INSERT_UNNEST, {n: [r[n] for r in rows] for n in _TYPES})
            return [None] * len(rows)

        return Grouped(insert_unnested)

    def insert(rows: list[Row]) -> list[None]:
        with engine.begin() as connection:
            insert_events(connection, rows)
        return [None] * len(rows)

    async def insert_in_thread(rows: list[Row]) -> list[None]:
        return await anyio.to_thread.run_sync(insert, rows)

    return Grouped(insert_in_thread)
