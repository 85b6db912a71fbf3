"""The runner of impact runs (issue 17): a thread of the serving process that takes runs one
at a time, writes their progress and result, and stops at the next step when a run is
cancelled or the process shuts down. Any worker can read a run: everything is in the table."""

import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.db.versions import POLICIES, read_versions
from app.impact import runs
from app.impact.models import ImpactRun
from app.impact.service import compare_population
from app.policies.document import parse_policy
from app.policies.service import PolicyCache

log = logging.getLogger("jifen.impact")


class Stopped(Exception):
    """The run was cancelled, or the process is shutting down."""


def one_thread() -> Executor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="jifen-impact")


class ImpactRunner:
    def __init__(
        self,
        engine: sa.Engine,
        policies: PolicyCache,
        clock: Callable[[], datetime],
        executor: Callable[[], Executor] = one_thread,
    ) -> None:
        self.engine, self.policies, self.clock = engine, policies, clock
        self.new_executor = executor  # tests give one that runs when they say
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._held: set[uuid.UUID] = set()  # queued or running here: their heartbeat is ours
        self._heart: threading.Thread | None = None

    def submit(self, run_id: uuid.UUID) -> None:
        with self._lock:
            if self._executor is None:
                self._stopping.clear()
                self._executor = self.new_executor()
                self._heart = threading.Thread(target=self._beat, name="jifen-impact-beat")
                self._heart.daemon = True
                self._heart.start()
            self._held.add(run_id)
            self._executor.submit(self._run, run_id)

    def stop(self) -> None:
        """At shutdown: the running run stops at its next step, and every run this process
        held is failed as interrupted (another process can be asked to run it again)."""
        with self._lock:
            executor, self._executor = self._executor, None
            self._stopping.set()
        if executor is None:
            return
        executor.shutdown(wait=True, cancel_futures=True)
        if self._heart is not None:
            self._heart.join()
        with self.engine.begin() as connection:
            for run_id in list(self._held):
                runs.finish(connection, run_id, self.clock(), error=runs.INTERRUPTED)
        self._held.clear()

    def _beat(self) -> None:
        while not self._stopping.wait(runs.HEARTBEAT.total_seconds()):
            try:
                with self.engine.begin() as connection:
                    runs.beat(connection, list(self._held), self.clock())
            except sa.exc.SQLAlchemyError:
                log.warning("impact heartbeat not written", exc_info=True)

    def _run(self, run_id: uuid.UUID) -> None:
        try:
            self._execute(run_id)
        except Exception:  # a run that cannot finish says so; the runner goes on
            log.exception("impact run failed")
            try:
                with self.engine.begin() as connection:
                    runs.finish(connection, run_id, self.clock(), error="failed: see the log")
            except sa.exc.SQLAlchemyError:
                log.warning("impact run's failure not written", exc_info=True)
        finally:
            self._held.discard(run_id)

    def _execute(self, run_id: uuid.UUID) -> None:
        with self.engine.begin() as connection:
            if not runs.start(connection, run_id, self.clock()):
                return  # cancelled while queued
        with Session(self.engine) as session:
            run = session.exec(select(ImpactRun).where(ImpactRun.id == run_id)).one()
            draft = parse_policy(json.loads(run.draft_document), "draft")
            version = read_versions(session.connection()).get(POLICIES)
            current = self.policies.get(session, version).by_id[run.policy_id]

            def progress(done: int, total: int) -> None:
                if self._stopping.is_set():
                    raise Stopped
                with self.engine.begin() as connection:
                    if not runs.advance(connection, run_id, done, total):
                        raise Stopped

            try:
                impact = compare_population(session, current, draft, run.as_of, progress)
            except Stopped:
                if self._stopping.is_set():
                    with self.engine.begin() as connection:
                        runs.finish(connection, run_id, self.clock(), error=runs.INTERRUPTED)
                return
        with self.engine.begin() as connection:
            runs.finish(connection, run_id, self.clock(), result=impact.as_json())
