"""The engine, built from settings (never at import time)."""

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from app.core.config import Settings
from app.db import deadline

# Execution option of a connection that holds a request's unit of work (app/db/unit.py).
WRITE_UNIT = "jifen_write_unit"


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        engine = create_engine(
            settings.database_url,
            connect_args={"check_same_thread": False, "timeout": settings.db_timeout_seconds},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # pysqlite begins transactions itself, only before a write, so a SAVEPOINT would
            # open (and its RELEASE commit) a transaction of its own: transactions are begun
            # explicitly below instead, which a request's unit of work (app/db/unit.py) needs.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A unit of work takes the write lock at once (waiting up to the busy timeout):
            # a deferred transaction that reads and then writes fails at once instead when
            # another writer committed meanwhile.
            immediate = connection.get_execution_options().get(WRITE_UNIT, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    timeout_ms = int(settings.db_timeout_seconds * 1000)
    # A write request holds its transaction (and its Idempotency-Key's lock) until its answer is
    # ready; a worker that stops mid-request (frozen, or its socket left half open) must not
    # hold them for ever: PostgreSQL ends such a session after a few timeouts' worth.
    idle_ms = 6 * timeout_ms
    # No ping before each checkout: it was a round trip on every request. A connection that a
    # restarted server has dropped fails its request with a 503 (Retry-After) instead, and the
    # pool then replaces every connection older than the failure; pool_recycle bounds the age
    # of connections that a firewall might silently drop while idle.
    engine = create_engine(
        settings.database_url,
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_size=10,
        max_overflow=10,
        pool_timeout=settings.db_timeout_seconds,
        connect_args={
            "connect_timeout": max(1, int(settings.db_timeout_seconds)),
            "options": f"-c statement_timeout={timeout_ms}"
            f" -c idle_in_transaction_session_timeout={idle_ms}",
        },
    )
    # The server's statement_timeout fires first; this one bounds a server that has stopped.
    deadline.install(engine, settings.db_timeout_seconds + 1)
    return engine


def single_statement_engine(engine: Engine) -> Engine:
    """The engine for reads made of one statement (a score): on PostgreSQL in autocommit, so
    that the statement is its own transaction (its own consistent snapshot) and no BEGIN or
    ROLLBACK costs a round trip. SQLite's BEGIN costs no round trip: the engine as it is."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def end_read_before_write(session: Session) -> None:
    """Before a write in a request that has only read so far. On SQLite a transaction that has
    read cannot start writing once another connection has written since: it fails at once
    (SQLITE_BUSY) instead of waiting for the lock. Ending the read first makes the write wait
    like any writer's. A unit of work holds the write lock from its start: left alone."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.get_execution_options().get(
        WRITE_UNIT
    ):
        session.commit()
