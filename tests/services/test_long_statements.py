"""A statement over a whole population (a ranking, an impact) may run for minutes: both the
server's statement_timeout and the service's own watchdog must let it. Found at a million
holders, where the ranking answered 503 after db_timeout + 1 s (PostgreSQL only: SQLite has
neither deadline)."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.core.config import Settings
from app.db.deadline import allow_long_statements
from app.db.session import make_engine
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL's deadlines")

SLEEP = "SELECT pg_sleep(2.5)"  # longer than the watchdog's 1 + 1 s below


@pytest.fixture
def short(database_url: str) -> Iterator[sa.Engine]:
    """The service's engine with a one-second timeout."""
    engine = make_engine(Settings(database_url=database_url, db_timeout_seconds=1))
    yield engine
    engine.dispose()


def test_an_ordinary_statement_is_cut_by_the_server(short: sa.Engine) -> None:
    with short.connect() as connection, pytest.raises(sa.exc.OperationalError):
        connection.exec_driver_sql(SLEEP)


def test_lifting_the_server_timeout_alone_leaves_the_watchdog(short: sa.Engine) -> None:
    """What the ranking did before: the watchdog still cut it at db_timeout + 1 s."""
    with (
        short.connect() as connection,
        pytest.raises(sa.exc.OperationalError),
        connection.begin(),
    ):
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        connection.exec_driver_sql(SLEEP)


def test_a_long_statement_runs_to_its_end(short: sa.Engine) -> None:
    with short.connect() as connection, connection.begin():
        allow_long_statements(connection)
        assert connection.exec_driver_sql(SLEEP).scalar_one() == ""


def test_the_next_use_of_the_pooled_connection_has_its_deadlines_again(short: sa.Engine) -> None:
    with short.connect() as connection, connection.begin():
        allow_long_statements(connection)
    with short.connect() as connection, pytest.raises(sa.exc.OperationalError):
        connection.exec_driver_sql(SLEEP)
