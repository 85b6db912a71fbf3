"""One outcome per request: a write, its audit row and its idempotency answer are kept
together or not at all, so that a 503 means nothing was stored and a retry with the same key
completes it exactly once. The audit trail is made to fail by a real trigger in the database.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.audit.models import AuditEvent
from app.idempotency.models import IdempotencyKey
from app.register.models import Holder, ResidencePeriod
from tests.conftest import holder_body


def _count(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


@contextmanager
def audit_trail_refuses(engine: sa.Engine) -> Iterator[None]:
    """Every insert into the audit trail fails, as it would on a full disk."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'audit refused'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
            )
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            if postgres:
                connection.exec_driver_sql("DROP TRIGGER refuse_audit ON audit_events")
                connection.exec_driver_sql("DROP FUNCTION refuse_audit()")
            else:
                connection.exec_driver_sql("DROP TRIGGER refuse_audit")


def test_a_create_whose_audit_row_fails_stores_nothing_and_its_retry_completes_once(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    body = holder_body()
    headers = {**auth, "Idempotency-Key": "night-1"}
    holders, audited = _count(engine, Holder), _count(engine, AuditEvent)
    with audit_trail_refuses(engine):
        refused = http.post("/v1/holders", json=body, headers=headers)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"]
        assert body["id_number"] not in refused.text
        # Nothing of it: no holder, no audit row, no key left in flight.
        assert _count(engine, Holder) == holders
        assert _count(engine, AuditEvent) == audited
        assert _count(engine, IdempotencyKey) == 0
    retried = http.post("/v1/holders", json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    again = http.post("/v1/holders", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == retried.json()
    assert _count(engine, Holder) == holders + 1
    # The create and its replay each left their audit row.
    assert _count(engine, AuditEvent) == audited + 2


def test_a_record_write_without_a_key_is_kept_with_its_audit_row_or_not_at_all(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, new_holder: Any
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    period = {"district": "441702", "start_date": "2020-01-01"}
    with audit_trail_refuses(engine):
        assert http.post(url, json=period, headers=auth).status_code == 503
        assert (
            http.delete(f"{url}/00000000-0000-0000-0000-000000000000", headers=auth).status_code
            == 503
        )
    assert _count(engine, ResidencePeriod) == 0
    assert http.post(url, json=period, headers=auth).status_code == 201
    assert _count(engine, ResidencePeriod) == 1


def test_a_patch_whose_audit_row_fails_changes_nothing(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, new_holder: Any
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}"
    etag = http.get(url, headers=auth).headers["etag"]
    patch = {**auth, "If-Match": etag, "Content-Type": "application/merge-patch+json"}
    with audit_trail_refuses(engine):
        assert (
            http.patch(url, content='{"name": "李四"}'.encode(), headers=patch).status_code == 503
        )
    read = http.get(url, headers=auth)
    assert read.json()["name"] == holder["name"]
    assert read.headers["etag"] == etag  # the version did not move: the same If-Match works
    assert http.patch(url, content='{"name": "李四"}'.encode(), headers=patch).status_code == 200
