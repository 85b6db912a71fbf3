"""A write request's unit of work: one connection and one transaction for everything the
request stores, its audit row and its idempotency outcome, committed before the answer leaves
(or rolled back whole). Services commit as usual; inside a unit their commits are savepoints.
"""

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from app.db.session import WRITE_UNIT

log = logging.getLogger("jifen.db")


@dataclass
class UnitOfWork:
    connection: sa.Connection
    transaction: sa.RootTransaction
    # Work that may start only once what the request stored is visible to other connections
    # (an impact run, taken by the runner's thread); dropped when the unit is rolled back.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def begin(cls, engine: sa.Engine) -> "UnitOfWork":
        connection = engine.connect().execution_options(**{WRITE_UNIT: True})
        try:
            return cls(connection, connection.begin())
        except BaseException:
            connection.close()
            raise

    def session(self) -> Session:
        """A session whose commits and rollbacks are savepoints of the unit's transaction."""
        return Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    def commit(self) -> None:
        try:
            self.transaction.commit()
        finally:
            self.connection.close()
        for work in self.after_commit:
            try:
                work()
            except Exception:  # what was committed stands; the answer still goes
                log.exception("work after a commit failed")

    def rollback(self) -> None:
        """Undo everything; never raises (the database may be gone)."""
        try:
            if self.transaction.is_active:
                self.transaction.rollback()
        except sa.exc.SQLAlchemyError:
            pass
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self.connection.close()
