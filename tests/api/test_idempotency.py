"""Retries with Idempotency-Key, and per-client rate limits (SPEC §7)."""

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.clients.models import ApiClient
from app.core.config import Settings
from app.idempotency.models import IdempotencyKey
from app.main import create_app
from app.register.models import Holder, ResidencePeriod
from tests.conftest import BACKEND, holder_body

PERIOD = {"district": "441702", "start_date": "2020-01-01"}


def _count(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_a_retry_replays_the_first_answer(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    body = holder_body()
    headers = {**auth, "Idempotency-Key": "create-7f3a"}
    first = http.post("/v1/holders", json=body, headers=headers)
    # The same body with its keys in another order is the same request.
    retry = http.post("/v1/holders", json=dict(reversed(list(body.items()))), headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(engine, Holder) == 1


def test_another_body_under_the_same_key_is_422(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    headers = {**auth, "Idempotency-Key": "k-1"}
    assert http.post("/v1/holders", json=holder_body(), headers=headers).status_code == 201
    other = http.post("/v1/holders", json=holder_body(), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _count(engine, Holder) == 1


def test_refusals_are_replayed_too(
    http: TestClient, auth: dict[str, str], new_holder: Any, engine: sa.Engine
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    headers = {**auth, "Idempotency-Key": "bad-once"}
    bad = {"district": "441799", "start_date": "2020-01-01"}
    assert http.post(url, json=bad, headers=headers).status_code == 422
    again = http.post(url, json=bad, headers=headers)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"


def test_keys_belong_to_their_client(
    http: TestClient, make_key: Any, new_holder: Any, engine: sa.Engine
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    for key in (make_key(), make_key()):
        assert (
            http.post(url, json=PERIOD, headers={**key, "Idempotency-Key": "shared"}).status_code
            == 201
        )
    assert _count(engine, ResidencePeriod) == 2


def _client_id(engine: sa.Engine, headers: dict[str, str]) -> uuid.UUID:
    key = headers["Authorization"].removeprefix("Bearer ")
    digest = hashlib.sha256(key.encode()).hexdigest()
    with engine.connect() as connection:
        return connection.execute(
            sa.select(ApiClient.id).where(ApiClient.key_digest == digest)
        ).scalar_one()


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite runs one write request at a time")
def test_a_key_being_processed_is_409(
    http: TestClient, auth: dict[str, str], new_holder: Any, engine: sa.Engine
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    client_id = _client_id(engine, auth)
    with engine.connect() as first:  # the first request, still in its transaction
        first.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(f"{client_id} slow", 0))
            )
        )
        busy = http.post(url, json=PERIOD, headers={**auth, "Idempotency-Key": "slow"})
        assert busy.status_code == 409
        assert busy.headers["retry-after"] == "1"
        first.rollback()  # it died: nothing of it was kept
    again = http.post(url, json=PERIOD, headers={**auth, "Idempotency-Key": "slow"})
    assert again.status_code == 201
    assert _count(engine, ResidencePeriod) == 1


def test_a_key_an_earlier_release_left_unsettled_runs_again(
    app: Any, http: TestClient, auth: dict[str, str], new_holder: Any, engine: sa.Engine
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    client_id = _client_id(engine, auth)
    now = app.state.clock()
    with engine.begin() as connection:  # 0.1 left such rows behind when a request died
        connection.execute(sa.insert(IdempotencyKey).values(
            client_id=client_id, key="stuck", method="POST", path=url,
            request_digest="sha256:" + "0" * 64, created_at=now))  # fmt: skip
    retried = http.post(url, json=PERIOD, headers={**auth, "Idempotency-Key": "stuck"})
    assert retried.status_code == 201, retried.text
    assert _count(engine, ResidencePeriod) == 1
    replayed = http.post(url, json=PERIOD, headers={**auth, "Idempotency-Key": "stuck"})
    assert replayed.headers["idempotent-replayed"] == "true"
    assert _count(engine, ResidencePeriod) == 1


def test_a_key_an_import_holds_is_409(
    app: Any, http: TestClient, auth: dict[str, str], new_holder: Any, engine: sa.Engine
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    now = app.state.clock()
    with engine.begin() as connection:
        connection.execute(sa.insert(IdempotencyKey).values(
            client_id=_client_id(engine, auth), key="batch", method="POST", path="/v1/imports",
            request_digest="streaming", created_at=now, claim_token=uuid.uuid4(),
            lease_until=now + timedelta(hours=24)))  # fmt: skip
    busy = http.post(url, json=PERIOD, headers={**auth, "Idempotency-Key": "batch"})
    assert busy.status_code == 409
    assert int(busy.headers["retry-after"]) > 0


def test_keys_are_kept_a_day(
    app: Any, http: TestClient, auth: dict[str, str], new_holder: Any, engine: sa.Engine
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    headers = {**auth, "Idempotency-Key": "daily"}
    now = datetime.now(UTC)
    try:
        app.state.clock = lambda: now
        assert http.post(url, json=PERIOD, headers=headers).status_code == 201
        app.state.clock = lambda: now + timedelta(hours=23, minutes=59)
        assert (
            http.post(url, json=PERIOD, headers=headers).headers.get("idempotent-replayed")
            == "true"
        )
        assert _count(engine, ResidencePeriod) == 1
        app.state.clock = lambda: now + timedelta(hours=24, minutes=1)
        assert "idempotent-replayed" not in http.post(url, json=PERIOD, headers=headers).headers
        assert _count(engine, ResidencePeriod) == 2
    finally:
        app.state.clock = lambda: datetime.now(UTC)


def test_simulations_and_lookups_ignore_the_key(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    headers = {**auth, "Idempotency-Key": "ignored"}
    holder = new_holder()
    for number in ("441702199001010011", "44170219900101002X"):
        response = http.post(
            "/v1/holders/lookup",
            json={"jurisdiction": "441700", "id_number": number},
            headers=headers,
        )
        assert "idempotent-replayed" not in response.headers
    assert holder


@pytest.fixture
def limited(database_url: str, engine: sa.Engine) -> Iterator[tuple[Any, TestClient]]:
    app = create_app(Settings(database_url=database_url, rate_limit_per_minute=3))
    with TestClient(app) as http:
        yield app, http
    app.state.engine.dispose()


def test_rate_limit_answers_429_with_retry_after(
    limited: tuple[Any, TestClient], make_key: Any
) -> None:
    app, http = limited
    key = make_key(["holders:read"])
    start = datetime(2026, 1, 1, 8, 0, 10, tzinfo=UTC)
    app.state.clock = lambda: start
    assert [http.get("/v1/holders", headers=key).status_code for _ in range(3)] == [200, 200, 200]
    refused = http.get("/v1/holders", headers=key)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "51"
    assert refused.headers["content-type"] == "application/problem+json"
    # 401 comes before 429; 429 before a missing scope's 403 (SPEC §7 step 1).
    assert http.get("/v1/holders", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert http.get("/v1/audit", headers=key).status_code == 429
    # Another client has its own budget; the next minute starts afresh.
    assert http.get("/v1/holders", headers=make_key(["holders:read"])).status_code == 200
    app.state.clock = lambda: start + timedelta(seconds=50)
    assert http.get("/v1/holders", headers=key).status_code == 200


def test_rate_limit_counts_writes_too(limited: tuple[Any, TestClient], make_key: Any) -> None:
    """A write's unit of work holds the database (SQLite's write lock): its count is taken on
    the same connection, not a second one that would wait for it."""
    app, http = limited
    key = make_key(["holders:write"])
    start = datetime(2026, 1, 1, 9, 0, 10, tzinfo=UTC)
    app.state.clock = lambda: start
    statuses = [
        http.post("/v1/holders", json=holder_body(), headers=key).status_code for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
