"""Group commit of the audit rows of reads (issue 18): every read of personal data has its row
committed before its answer leaves, but concurrent requests share one transaction.

One thread per process writes: it takes every row queued since its last commit, inserts them
in one transaction and commits, then releases each waiting request; rows that arrive during a
commit go in the next one. A request waits for at most one commit in progress and its own; a
commit that fails fails every request of its batch (their answers become 503), none of which
was answered before.
"""

import asyncio
import threading
from concurrent.futures import Future

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.audit.service import insert_events


class AuditWriter:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._ready = threading.Condition()
        self._queued: list[tuple[AuditEvent, Future[None]]] = []
        self._thread: threading.Thread | None = None
        self._stopping = False

    async def write(self, event: AuditEvent) -> None:
        """Return once the row is committed; raise the database's error when it was not."""
        done: Future[None] = Future()
        with self._ready:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="jifen-audit", daemon=True)
                self._thread.start()
            self._queued.append((event, done))
            self._ready.notify()
        await asyncio.wrap_future(done)

    def stop(self) -> None:
        """At shutdown, once the rows queued so far are committed."""
        with self._ready:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._ready.notify()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queued and not self._stopping:
                    self._ready.wait()
                batch, self._queued = self._queued, []
                if not batch:
                    return  # stopping, and nothing left
            try:
                with self.engine.begin() as connection:
                    insert_events(connection, [event for event, _ in batch])
            except Exception as exc:  # each waiting request answers 503
                for _, done in batch:
                    done.set_exception(exc)
            else:
                for _, done in batch:
                    done.set_result(None)
