"""PostgreSQL on the event loop, for the hottest reads (issue 18): a score's one statement and
the group commit of read audit rows wait here without a hop to a thread.

Measured before choosing (bench/README.md): the same statement through SQLAlchemy in the
thread pool cost a score 0.65 ms more CPU than through psycopg's async pool. Every statement
here is one statement in autocommit (its own transaction, no BEGIN or COMMIT round trip),
bounded like the rest (`app/db/deadline.py`): the server's statement_timeout, and the
watchdog's cut when the server has stopped answering. A failure raises psycopg's error, which
answers 503 like any database outage (`app/core/errors.py`).

SQLite has none of this: its reads stay on the synchronous engine.
"""

import asyncio
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from app.core.config import Settings
from app.db import deadline

# Errors of this path (the pool's PoolTimeout is a psycopg.OperationalError).
DatabaseError = psycopg.Error


class AsyncPostgres:
    def __init__(self, settings: Settings) -> None:
        url = sa.make_url(settings.database_url).set(drivername="postgresql")
        timeout = settings.db_timeout_seconds
        self.deadline = timeout + 1
        self.pool = AsyncConnectionPool(
            url.render_as_string(hide_password=False),
            min_size=2,
            max_size=8,
            timeout=timeout,  # waiting for a connection, the server down included
            open=False,
            kwargs={
                "autocommit": True,
                "connect_timeout": max(1, int(timeout)),
                "options": f"-c statement_timeout={int(timeout * 1000)}",
            },
        )
        self._checking: asyncio.Task[None] | None = None
        deadline.WATCHDOG.start()

    async def open(self) -> None:
        # Without waiting: a server that is down at start-up makes requests 503, not the
        # service fail to start.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return await self._run(sql, params, rows=True)

    async def execute(self, sql: str, params: dict[str, Any]) -> None:
        await self._run(sql, params, rows=False)

    async def _run(self, sql: str, params: dict[str, Any], rows: bool) -> list[tuple[Any, ...]]:
        connection = await self.pool.getconn()
        deadline.WATCHDOG.arm(connection, self.deadline)
        try:
            cursor = await connection.execute(sql, params)
            return await cursor.fetchall() if rows else []
        except psycopg.OperationalError:
            if connection.broken:
                self._check_idle()
            raise
        finally:
            deadline.WATCHDOG.disarm(connection)
            await self.pool.putconn(connection)  # a broken one is discarded

    def _check_idle(self) -> None:
        """A lost connection (a restarted server) means the idle ones are likely lost too: they
        are tested and replaced in the background, rather than each failing a request (no
        ping costs a round trip on every checkout)."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self.pool.check())


def postgres_sql(statement: Any) -> str:
    """A Core statement as psycopg's SQL, compiled once."""
    return str(statement.compile(dialect=psycopg_dialect()))
