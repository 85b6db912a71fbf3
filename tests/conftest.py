"""Fixtures: a fresh, migrated database per test run, on SQLite or PostgreSQL.

`JIFEN_TEST_DATABASE=postgresql` runs the suite on PostgreSQL (`JIFEN_TEST_POSTGRES_URL`, by
default the local server's `test` database, in which a private database is created and dropped).
With CI=true a PostgreSQL run that cannot reach its server fails instead of skipping.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clients.service import create_client
from app.core.config import Settings
from app.db.base import metadata
from app.db.migrations import upgrade
from app.main import create_app
from app.policies.service import publish, read_policy_files
from tests.ids import make_id_number

BACKEND = os.environ.get("JIFEN_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "JIFEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pytest_report_header() -> str:
    return f"jifen test database: {BACKEND}"


# Where a run's SQLite files go: memory-backed when the machine has it. A commit there costs
# no disk flush (about 3 ms on this project's machines, and the suite commits tens of
# thousands of times); SQLite, its WAL and its locks behave the same.
MEMORY_FOLDER = Path("/dev/shm")


@contextmanager
def sqlite_folder(fallback: Path) -> Iterator[Path]:
    """A private folder for SQLite files, in memory when possible (`fallback` otherwise)."""
    if not (MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK)):
        yield fallback
        return
    folder = Path(tempfile.mkdtemp(prefix="jifen-test-", dir=MEMORY_FOLDER))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the chosen backend for this run, migrated to head."""
    if BACKEND == "sqlite":
        with sqlite_folder(tmp_path_factory.mktemp("db")) as folder:
            url = f"sqlite:///{folder / 'jifen.db'}"
            upgrade(url)
            yield url
        return
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


def fresh_postgres_database() -> Any:
    """A context manager: a private PostgreSQL database, dropped afterwards."""

    @contextmanager
    def manager() -> Iterator[str]:
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            admin.dispose()
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI needs PostgreSQL at {POSTGRES_URL}: {exc}")
            pytest.skip(f"PostgreSQL does not answer at {POSTGRES_URL}; PostgreSQL run skipped")
        name = f"jifen_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            # A commit answers before its WAL reaches the disk: the same visibility, locks and
            # isolation for every other session, minus a flush of some milliseconds per
            # commit. Only a crash of the server could lose the last commits of a test run.
            connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        try:
            yield (
                sa.engine.make_url(POSTGRES_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    return manager()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, load_policies=False)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Any:
    return create_app(settings)


def empty_register(engine: sa.Engine) -> None:
    """Delete every row but the audit trail's, which is append-only (the database refuses
    deletes): tests read it through their own clients' names instead; and the cache versions,
    which the deletes bump (a fresh database starts with them)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name not in ("audit_events", "cache_versions"):
                connection.execute(table.delete())


@pytest.fixture
def engine(app: Any) -> Iterator[sa.Engine]:
    """The application's engine; each test starts from an empty register."""
    engine: sa.Engine = app.state.engine
    yield engine
    empty_register(engine)


@pytest.fixture
def http(app: Any, engine: sa.Engine) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


ALL_SCOPES = [
    "holders:read", "holders:write", "scores:read", "policies:write", "audit:read",
]  # fmt: skip


def new_key(
    engine: sa.Engine, scopes: list[str] | None = None, jurisdictions: list[str] | None = None
) -> dict[str, str]:
    """Headers of a new API client with the given scopes and jurisdictions."""
    with Session(engine) as session:
        _, key = create_client(
            session,
            f"client-{uuid.uuid4().hex[:8]}",
            scopes or ALL_SCOPES,
            jurisdictions or ["all"],
        )
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_key(engine: sa.Engine) -> Callable[..., dict[str, str]]:
    """Headers of a new API client with the given scopes and jurisdictions."""

    def make(
        scopes: list[str] | None = None, jurisdictions: list[str] | None = None
    ) -> dict[str, str]:
        return new_key(engine, scopes, jurisdictions)

    return make


@pytest.fixture
def auth(make_key: Callable[..., dict[str, str]]) -> dict[str, str]:
    """A client with every scope but full ID numbers, in every jurisdiction."""
    return make_key()


def holder_body(
    jurisdiction: str = "441700", id_number: str | None = None, **permit: Any
) -> dict[str, Any]:
    return {
        "jurisdiction": jurisdiction,
        "id_number": id_number or make_id_number(),
        "name": "张三",
        "permit": {
            "number": "P-1",
            "issued_on": "2020-01-01",
            "valid_until": "2026-12-31",
            "status": "active",
            **permit,
        },
    }


def store_holder(
    http: TestClient, auth: dict[str, str], records: dict[str, Any], **permit: Any
) -> str:
    """A new holder (`permit` as `holder_body` takes it, `jurisdiction` included) and its
    records, `{"residence_periods": [...], "insurance_periods": [...], "adjustments": [...]}`,
    each list in order; the holder's id."""
    holder = http.post("/v1/holders", json=holder_body(**permit), headers=auth)
    assert holder.status_code == 201, holder.text
    holder_id: str = holder.json()["id"]
    for path in ("residence_periods", "insurance_periods", "adjustments"):
        for record in records.get(path, []):
            url = f"/v1/holders/{holder_id}/{path.replace('_', '-')}"
            response = http.post(url, json=record, headers=auth)
            assert response.status_code == 201, response.text
    return holder_id


def read_score(
    http: TestClient, auth: dict[str, str], holder_id: str, as_of: str, policy_id: str
) -> dict[str, Any]:
    """The holder's score at `as_of`, which must come from `policy_id`."""
    response = http.get(f"/v1/holders/{holder_id}/score", params={"as_of": as_of}, headers=auth)
    assert response.status_code == 200, response.text
    score: dict[str, Any] = response.json()
    assert score["policy"]["id"] == policy_id
    return score


def levels(score: dict[str, Any]) -> dict[str, int]:
    return {e["domain"]: e["level"] for e in score["entitlements"]}


@pytest.fixture
def new_holder(http: TestClient, auth: dict[str, str]) -> Callable[..., dict[str, Any]]:
    def create(**kwargs: Any) -> dict[str, Any]:
        response = http.post("/v1/holders", json=holder_body(**kwargs), headers=auth)
        assert response.status_code == 201, response.text
        holder: dict[str, Any] = response.json()
        return holder

    return create


def today() -> date:
    return Settings().today()


FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED_POLICIES = Path(__file__).resolve().parent.parent / "app" / "policies" / "data"


# Parsed policy files by their names and contents. Parsing the shipped YAML costs most of a
# second, and a few hundred tests publish them; a policy is immutable (a frozen model), so
# each distinct set of files is parsed once a run. Publishing itself still happens each time.
_PARSED_POLICIES: dict[tuple[tuple[str, str], ...], list[Any]] = {}


def parsed_policies(paths: list[Path]) -> list[Any]:
    """`read_policy_files(paths)`, parsed once a run for the same files with the same text."""
    key = tuple((str(path), path.read_text(encoding="utf-8")) for path in paths)
    if key not in _PARSED_POLICIES:
        _PARSED_POLICIES[key] = read_policy_files(paths)
    return list(_PARSED_POLICIES[key])


def publish_files(engine: sa.Engine, *paths: Path) -> list[str]:
    """Publish policy files into the test database; their ids."""
    with Session(engine) as session:
        published = []
        for policy in parsed_policies(list(paths)):
            publish(session, policy)
            published.append(policy.id)
    return published


@pytest.fixture
def load_policies(engine: sa.Engine) -> Callable[..., list[str]]:
    """Publish policy files into the test database: the example fixture, or the shipped ones."""

    def load(*paths: Path) -> list[str]:
        return publish_files(engine, *paths)

    return load


@pytest.fixture
def example_policy(load_policies: Callable[..., list[str]]) -> str:
    """A database holding only the example policy of SPEC §5 (the worked example's)."""
    return load_policies(FIXTURES / "example_policy.yaml")[0]


@pytest.fixture
def shipped_policies(load_policies: Callable[..., list[str]]) -> list[str]:
    return load_policies(*sorted(SHIPPED_POLICIES.glob("*.yaml")))
