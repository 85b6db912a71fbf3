"""The audit trail: who read or wrote whose data, when, and how it ended (SPEC §7)."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.audit.models import AuditEvent
from tests.conftest import holder_body
from tests.ids import make_id_number


def _client_name(http: TestClient, headers: dict[str, str]) -> str:
    """The name of the client behind `headers`, from the trail of a request it makes."""
    http.get("/v1/holders", params={"limit": 1}, headers=headers)
    auditor = headers  # every test key has audit:read
    page = http.get("/v1/audit", params={"limit": 500}, headers=auditor).json()
    while page["next_cursor"]:  # the trail holds every earlier test's rows: its last row
        params = {"limit": 500, "cursor": page["next_cursor"]}
        page = http.get("/v1/audit", params=params, headers=auditor).json()
    return str(page["items"][-1]["client"])


def test_each_personal_data_request_leaves_one_row(
    http: TestClient, make_key: Any, new_holder: Any
) -> None:
    key = make_key()
    number = make_id_number()
    created = http.post(
        "/v1/holders",
        json=holder_body(id_number=number),
        headers={**key, "X-Request-ID": "req-create-1"},
    )
    holder_id = created.json()["id"]
    http.get(f"/v1/holders/{holder_id}", headers=key)
    http.post(
        "/v1/holders/lookup", json={"jurisdiction": "441700", "id_number": number}, headers=key
    )
    http.get("/v1/holders/00000000-0000-0000-0000-000000000000", headers=key)
    http.get("/v1/jurisdictions", headers=key)  # public law: not audited
    # A POST that only reads: its row is written by group commit, like a GET's.
    permit = {"issued_on": "2020-01-01", "valid_until": "2030-01-01", "status": "active"}
    simulated = http.post(
        "/v1/simulations", json={"jurisdiction": "441700", "permit": permit}, headers=key
    )
    name = _client_name(http, key)

    page = http.get("/v1/audit", params={"client": name}, headers=key)
    assert page.status_code == 200
    rows = page.json()["items"]
    assert [(r["action"], r["status"]) for r in rows] == [
        ("createHolder", 201),
        ("readHolder", 200),
        ("lookupHolder", 200),
        ("readHolder", 404),
        ("simulateScore", simulated.status_code),
        ("listHolders", 200),
    ]
    create = rows[0]
    assert create["request_id"] == "req-create-1"
    assert create["route"] == "/v1/holders" and create["method"] == "POST"
    assert create["holder_id"] == holder_id and create["jurisdictions"] == ["441700"]
    assert rows[1]["route"] == "/v1/holders/{holder_id}"
    assert "holder_id" not in rows[3], json.dumps(rows[3])
    assert rows[3]["jurisdictions"] == []  # found nothing it may show
    assert rows[4]["jurisdictions"] == ["441700"]
    assert rows[5]["filter"] == {} and rows[5]["rows"] == 1
    # Never an ID number or a name.
    assert number not in page.text and "张三" not in page.text


def test_filters_and_paging(http: TestClient, make_key: Any, new_holder: Any) -> None:
    key = make_key()
    first, second = new_holder(), new_holder()
    for _ in range(3):
        http.get(f"/v1/holders/{first['id']}", headers=key)
    http.get(f"/v1/holders/{second['id']}", headers=key)
    by_holder = http.get(
        "/v1/audit", params={"holder_id": first["id"], "limit": 2}, headers=key
    ).json()
    assert len(by_holder["items"]) == 2 and by_holder["next_cursor"]
    rest = http.get(
        "/v1/audit",
        params={"holder_id": first["id"], "cursor": by_holder["next_cursor"]},
        headers=key,
    ).json()
    reads = [r for r in by_holder["items"] + rest["items"] if r["action"] == "readHolder"]
    assert len(reads) == 3
    assert http.get("/v1/audit", params={"since": "2999-01-01"}, headers=key).json()["items"] == []
    assert http.get("/v1/audit", params={"since": "2000-01-01T00:00:00Z", "holder_id": second["id"]},
                    headers=key).json()["items"]  # fmt: skip
    assert http.get("/v1/audit", params={"since": "yesterday"}, headers=key).status_code == 422


def test_rows_are_visible_only_with_all_their_jurisdictions(
    http: TestClient, make_key: Any, new_holder: Any
) -> None:
    everywhere = make_key()
    yangjiang = make_key(jurisdictions=["441700"])
    holder = new_holder()
    elsewhere = new_holder(jurisdiction="621000")
    http.get(f"/v1/holders/{holder['id']}", headers=everywhere)
    http.get(f"/v1/holders/{elsewhere['id']}", headers=everywhere)
    http.get("/v1/holders", headers=everywhere)  # rows of both cities
    http.get("/v1/holders/00000000-0000-0000-0000-000000000000", headers=everywhere)  # none
    name = _client_name(http, everywhere)
    seen = http.get("/v1/audit", params={"client": name, "limit": 500}, headers=yangjiang).json()[
        "items"
    ]
    assert {tuple(r["jurisdictions"]) for r in seen} == {("441700",)}
    assert all(r.get("holder_id") != elsewhere["id"] for r in seen)


def test_audit_needs_its_scope(http: TestClient, make_key: Any) -> None:
    assert http.get("/v1/audit", headers=make_key(["holders:read"])).status_code == 403


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET status = 200", "DELETE FROM audit_events"]
)
def test_the_database_refuses_to_rewrite_the_trail(
    http: TestClient, make_key: Any, engine: sa.Engine, statement: str
) -> None:
    key = make_key()
    http.get("/v1/holders", headers=key)
    with pytest.raises(sa.exc.DatabaseError), engine.begin() as connection:
        connection.execute(sa.text(statement))
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one() > 0
        )


def test_no_route_changes_the_trail(http: TestClient, make_key: Any) -> None:
    key = make_key()
    for method in ("post", "put", "patch", "delete"):
        assert http.request(method, "/v1/audit", headers=key).status_code == 405
