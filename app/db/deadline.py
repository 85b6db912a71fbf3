"""A deadline on every wait for PostgreSQL, kept on the service's side.

`statement_timeout` is enforced by the server, and a server that has stopped running (frozen,
or behind a connection left half open) enforces nothing: a request would wait for as long as
it stays stopped. A watchdog thread cuts the connection of any statement, commit, rollback or
ping still waiting past its deadline; the driver then fails it like a lost connection, the
pool discards the connection, and the request answers 503 like any database outage.
"""

import contextlib
import os
import socket
import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

POLL_SECONDS = 0.2
# A statement meant to run long (a whole population: a ranking, an impact) is still cut if the
# server stops answering, after this long.
LONG_SECONDS = 30 * 60
DEADLINE = "jifen_deadline_seconds"  # a connection's execution option: its own deadline


class Watchdog:
    """The deadline of each connection that is waiting, and one thread per process that looks
    at them a few times a second (started with the first engine that needs it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # id(connection) -> (deadline, the connection, its socket's file descriptor)
        self._waiting: dict[int, tuple[float, Any, int]] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="jifen-db-deadline", daemon=True
                )
                self._thread.start()

    def arm(self, dbapi_connection: Any, seconds: float) -> None:
        fd = dbapi_connection.pgconn.socket
        with self._lock:
            self._waiting[id(dbapi_connection)] = (time.monotonic() + seconds, dbapi_connection, fd)

    def disarm(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._waiting.pop(id(dbapi_connection), None)

    def _watch(self) -> None:
        while True:
            time.sleep(POLL_SECONDS)
            now = time.monotonic()
            # Under the lock: the waiting statement disarms (and only then may its connection
            # be closed and its descriptor reused) only after the cut is done.
            with self._lock:
                late = [key for key, (deadline, *_) in self._waiting.items() if deadline <= now]
                for key in late:
                    _, connection, fd = self._waiting.pop(key)
                    with contextlib.suppress(Exception):  # the watchdog itself must not die
                        if not connection.closed and connection.pgconn.socket == fd:
                            _cut(fd)


def _cut(fd: int) -> None:
    """Shut the connection's socket down under the waiting driver (on a duplicate of its file
    descriptor: the driver still owns the original and closes it)."""
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as duplicate:
        duplicate.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()


def install(engine: sa.Engine, seconds: float) -> None:
    """Bound every statement, commit, rollback and ping of `engine` (psycopg 3)."""
    watchdog = WATCHDOG
    watchdog.start()

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, cursor: Any, *args: Any) -> None:
        watchdog.arm(cursor.connection, conn.get_execution_options().get(DEADLINE, seconds))

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Any, cursor: Any, *args: Any) -> None:
        watchdog.disarm(cursor.connection)

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        execution = context.execution_context
        if execution is not None and execution.cursor is not None:
            watchdog.disarm(execution.cursor.connection)

    dialect = engine.dialect
    for name in ("do_commit", "do_rollback"):
        setattr(dialect, name, _bounded(watchdog, seconds, getattr(dialect, name)))
    # A ping (`SELECT 1` before a pooled connection is reused) answers at once from a live
    # server; a short bound leaves the time for a new connection within the request's.
    dialect.do_ping = _bounded(watchdog, seconds / 3, dialect.do_ping)  # type: ignore[method-assign]


def _bounded(watchdog: Watchdog, seconds: float, call: Any) -> Any:
    def bounded(dbapi_connection: Any) -> Any:
        watchdog.arm(dbapi_connection, seconds)
        try:
            return call(dbapi_connection)
        finally:
            watchdog.disarm(dbapi_connection)

    return bounded


def allow_long_statements(connection: sa.Connection) -> None:
    """For the rest of this connection's use (a request's or a job's session): statements may
    run for minutes, as reading a whole population does. The server's statement_timeout is
    lifted for the transaction, and the watchdog's deadline becomes LONG_SECONDS."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        connection.execution_options(**{DEADLINE: LONG_SECONDS})
