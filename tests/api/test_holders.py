"""Holders over HTTP (SPEC §7): create, read, ETag and PATCH, list, lookup, masking."""

import subprocess
import sys
import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.register.models import Holder
from tests.conftest import holder_body
from tests.ids import check_character, make_id_number


def test_create_then_read_back(http: TestClient, auth: dict[str, str]) -> None:
    body = holder_body()
    created = http.post("/v1/holders", json=body, headers=auth)
    assert created.status_code == 201
    holder = created.json()
    assert created.headers["location"].endswith(f"/v1/holders/{holder['id']}")
    assert holder["permit"] == body["permit"]
    assert holder["jurisdiction"] == "441700"
    assert set(holder) == {
        "id",
        "jurisdiction",
        "id_number",
        "name",
        "permit",
        "created_at",
        "updated_at",
    }

    read = http.get(created.headers["location"], headers=auth)
    assert read.status_code == 200
    assert read.json() == holder
    assert read.headers["etag"] == created.headers["etag"]


def test_id_number_masked_unless_scope(http: TestClient, make_key: Any) -> None:
    id_number = make_id_number()
    writer = make_key(["holders:write", "holders:read"])
    full = make_key(["holders:read", "id_numbers:read"])
    holder = http.post("/v1/holders", json=holder_body(id_number=id_number), headers=writer).json()
    assert holder["id_number"] == id_number[:6] + "********" + id_number[-4:]
    assert http.get(f"/v1/holders/{holder['id']}", headers=full).json()["id_number"] == id_number


def test_lower_case_x_is_stored_as_upper_and_unique(http: TestClient, make_key: Any) -> None:
    key = make_key(["holders:write", "holders:read", "id_numbers:read"])
    number = next(n for n in (make_id_number() for _ in range(100)) if n.endswith("X"))
    first = http.post("/v1/holders", json=holder_body(id_number=number.lower()), headers=key)
    assert first.status_code == 201
    assert first.json()["id_number"] == number
    again = http.post("/v1/holders", json=holder_body(id_number=number), headers=key)
    assert again.status_code == 409
    assert number not in again.text
    # The same person may hold a permit in another city.
    elsewhere = http.post(
        "/v1/holders", json=holder_body(jurisdiction="621000", id_number=number), headers=key
    )
    assert elsewhere.status_code == 201


def test_patch_needs_current_etag(http: TestClient, auth: dict[str, str], new_holder: Any) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}"
    etag = http.get(url, headers=auth).headers["etag"]
    patch = {"permit": {"status": "suspended"}, "name": "李四"}

    assert http.patch(url, json=patch, headers=auth).status_code == 428
    stale = http.patch(url, json=patch, headers={**auth, "If-Match": '"stale"'})
    assert stale.status_code == 412

    done = http.patch(
        url,
        content=b'{"permit": {"status": "suspended"}, "name": "\xe6\x9d\x8e\xe5\x9b\x9b"}',
        headers={**auth, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["permit"]["status"] == "suspended"
    assert done.json()["name"] == "李四"
    assert done.json()["permit"]["number"] == holder["permit"]["number"]
    assert done.headers["etag"] != etag
    # The old ETag no longer matches: the second writer must read again.
    assert (
        http.patch(url, json={"name": "王五"}, headers={**auth, "If-Match": etag}).status_code
        == 412
    )
    assert http.get(url, headers=auth).json()["name"] == "李四"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"jurisdiction": "621000"}, "jurisdiction"),
        ({"id_number": "110101199001011237"}, "id_number"),
        ({"name": None}, "name"),
        ({"permit": {"valid_until": "2019-01-01"}}, "permit.valid_until"),
        ({"permit": {"status": "lost"}}, "permit.status"),
        ({"permit": {"issued_on": "2999-01-01"}}, "permit.issued_on"),
    ],
)
def test_patch_refuses_bad_fields(
    http: TestClient, auth: dict[str, str], new_holder: Any, patch: dict[str, Any], field: str
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}"
    etag = http.get(url, headers=auth).headers["etag"]
    response = http.patch(url, json=patch, headers={**auth, "If-Match": etag})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert http.get(url, headers=auth).json() == holder


def test_list_pages_are_stable_under_inserts(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    ids = [new_holder()["id"] for _ in range(5)]
    first = http.get("/v1/holders", params={"limit": 2}, headers=auth).json()
    assert [h["id"] for h in first["items"]] == ids[:2]
    new_holder()  # an insert between pages moves nothing already paged
    second = http.get(
        "/v1/holders", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
    ).json()
    assert [h["id"] for h in second["items"]] == ids[2:4]
    rest = http.get(
        "/v1/holders", params={"limit": 500, "cursor": second["next_cursor"]}, headers=auth
    ).json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"cursor": "garbage!"}])
def test_list_refuses_bad_paging(
    http: TestClient, auth: dict[str, str], params: dict[str, Any]
) -> None:
    response = http.get("/v1/holders", params=params, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == next(iter(params))


def test_list_filters(http: TestClient, auth: dict[str, str], new_holder: Any) -> None:
    yangjiang = new_holder()
    qingyang = new_holder(jurisdiction="621000")
    suspended = new_holder(status="suspended")
    http.post(
        f"/v1/holders/{yangjiang['id']}/residence-periods",
        json={"district": "441702", "start_date": "2020-01-01"},
        headers=auth,
    )

    def ids(**params: Any) -> list[str]:
        return [
            h["id"] for h in http.get("/v1/holders", params=params, headers=auth).json()["items"]
        ]

    assert ids(jurisdiction="621000") == [qingyang["id"]]
    assert ids(jurisdiction="441700") == [yangjiang["id"], suspended["id"]]
    assert ids(permit_status="suspended") == [suspended["id"]]
    assert ids(district="441702") == [yangjiang["id"]]
    assert ids(district="441704") == []


def test_lookup_by_id_number_in_body(http: TestClient, auth: dict[str, str]) -> None:
    number = make_id_number()
    holder = http.post("/v1/holders", json=holder_body(id_number=number), headers=auth).json()
    found = http.post(
        "/v1/holders/lookup", json={"jurisdiction": "441700", "id_number": number}, headers=auth
    )
    assert found.status_code == 200
    assert found.json()["id"] == holder["id"]
    missing = http.post(
        "/v1/holders/lookup", json={"jurisdiction": "621000", "id_number": number}, headers=auth
    )
    assert missing.status_code == 404
    assert number not in missing.text


def test_unknown_holder_is_404_problem(http: TestClient, auth: dict[str, str]) -> None:
    for path in ["/v1/holders/6f1c0b52-9a4e-4f0b-8f5e-2d7f3c1a9b10", "/v1/holders/not-a-uuid"]:
        response = http.get(path, headers=auth)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_the_standards_own_examples_are_stored(
    http: TestClient, make_key: Any, number: str
) -> None:
    key = make_key(["holders:write", "holders:read", "id_numbers:read"])
    stored = http.post("/v1/holders", json=holder_body(id_number=number), headers=key)
    assert stored.status_code == 201, stored.text
    assert stored.json()["id_number"] == number
    # The same number with its last character changed is refused, naming the field.
    changed = number[:17] + ("0" if number[17] != "0" else "1")
    refused = http.post("/v1/holders", json=holder_body(id_number=changed), headers=key)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["id_number"]


# Examples may repeat, and a repeated valid number answers 409: accepted, already registered.
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    born=st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)),
    serial=st.integers(0, 999),
)
def test_exactly_one_check_character_is_stored(
    http: TestClient, auth: dict[str, str], born: date, serial: int
) -> None:
    first17 = f"441702{born:%Y%m%d}{serial:03d}"
    statuses = {
        c: http.post(
            "/v1/holders", json=holder_body(id_number=first17 + c), headers=auth
        ).status_code
        for c in "0123456789X"
    }
    assert [c for c, status in statuses.items() if status != 422] == [check_character(first17)]
    assert statuses[check_character(first17)] in (201, 409)


def test_check_ids_lists_holders_with_invalid_numbers_by_id_only(
    http: TestClient, auth: dict[str, str], database_url: str, engine: sa.Engine
) -> None:
    good = http.post("/v1/holders", json=holder_body(), headers=auth).json()
    # An earlier build computed the check character over 16 digits and stored numbers like
    # these; they are written here as that build would have, past today's checks.
    bad_numbers = ["441702199001010012", "441702199001010022"]
    bad_ids = []
    for number in bad_numbers:
        holder = http.post("/v1/holders", json=holder_body(), headers=auth).json()
        with engine.begin() as connection:
            connection.execute(
                sa.update(Holder)
                .where(Holder.id == uuid.UUID(holder["id"]))
                .values(id_number=number)
            )
        bad_ids.append(holder["id"])
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "holders", "check-ids"],
        capture_output=True, text=True,
        env={"JIFEN_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[:-1] == [f"441700 {holder_id}" for holder_id in bad_ids]
    assert lines[-1].startswith("2 holder(s)")
    assert good["id"] not in result.stdout
    assert not any(number in result.stdout + result.stderr for number in bad_numbers)
