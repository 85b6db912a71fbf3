"""The audit rows of reads, committed by group (issue 18, `app/core/grouped.py`): every read of
personal data has its row committed before its answer leaves, but concurrent requests share
one insert. On PostgreSQL the insert is one statement through the event loop's pool; on SQLite
it runs in a thread on the engine."""

import anyio
import sqlalchemy as sa
from pydantic_core import to_json

from app.audit.service import Row, insert_events
from app.core.grouped import Grouped
from app.db.aio import AsyncPostgres

AuditWriter = Grouped[Row, None]

# PostgreSQL: a group of rows as one JSON array, read into the table's own row type in one
# statement (which is its own transaction in autocommit): one text value for the driver to
# send, and each value checked by its column's type (a text too long for it fails the insert).
_COLUMNS = ", ".join(
    ["id", "at", "client", "method", "route", "action", "status", "request_id", "holder_id",
     "jurisdictions", "filter", "rows"]
)  # fmt: skip
INSERT_JSON = (
    f"INSERT INTO audit_events ({_COLUMNS}) SELECT {_COLUMNS}"
    " FROM json_populate_recordset(NULL::audit_events, %(rows)s)"
)


def audit_writer(engine: sa.Engine, postgres: AsyncPostgres | None) -> AuditWriter:
    if postgres is not None:

        async def insert_json(rows: list[Row]) -> list[None]:
            # pydantic-core's encoder writes UUIDs and aware times itself (ISO 8601).
            await postgres.execute(INSERT_JSON, {"rows": to_json(rows).decode()})
            return [None] * len(rows)

        return Grouped(insert_json)

    def insert(rows: list[Row]) -> list[None]:
        with engine.begin() as connection:
            insert_events(connection, rows)
        return [None] * len(rows)

    async def insert_in_thread(rows: list[Row]) -> list[None]:
        return await anyio.to_thread.run_sync(insert, rows)

    return Grouped(insert_in_thread)
