"""The SQL statements a request sends, counted by the tests of issue 18's hot reads."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The statements sent through the engine and, on PostgreSQL, through the event loop's
    pool (app/db/aio.py), whose `fetch` and `execute` each send one."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # SQLite's BEGIN is sent by us (app/db/session.py), PostgreSQL's by its driver unseen:
        # neither is a round trip of the request's own work.
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engine, postgres = app.state.engine, app.state.postgres
    sa.event.listen(engine, "before_cursor_execute", count)
    if postgres is not None:
        for name in ("fetch", "execute"):
            sent = getattr(postgres, name)

            async def counted(sql: str, params: Any, sent: Any = sent) -> Any:
                seen.append(f"event loop: {sql}")
                return await sent(sql, params)

            setattr(postgres, name, counted)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        if postgres is not None:
            for name in ("fetch", "execute"):
                delattr(postgres, name)
