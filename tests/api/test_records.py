"""Periods, adjustments and endorsements over HTTP (SPEC §4, §7)."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import today

RESIDENCE = {"district": "441702", "start_date": "2019-05-01", "housing": "rented", "source": "gaj"}
INSURANCE = {
    "district": "441702",
    "type": "pension",
    "start_month": "2018-03",
    "end_month": "2021-12",
}
ADJUSTMENT = {"code": "college_degree", "effective_from": "2019-01-01", "note": "本科"}


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("residence-periods", RESIDENCE, {**RESIDENCE, "end_date": None}),
        ("insurance-periods", INSURANCE, {**INSURANCE}),
        ("adjustments", ADJUSTMENT, {**ADJUSTMENT, "effective_to": None}),
        # Records in other cities are kept (never counted, SPEC §6.1).
        ("residence-periods", {"district": "440106", "start_date": "2010-01-01", "end_date": "2018-01-01"},
         {"district": "440106", "start_date": "2010-01-01", "end_date": "2018-01-01", "housing": "other"}),
        ("insurance-periods", {"district": "441702", "type": "medical", "start_month": "2015-01"},
         {"district": "441702", "type": "medical", "start_month": "2015-01", "end_month": None}),
    ],
)  # fmt: skip
def test_create_list_read_delete(
    http: TestClient,
    auth: dict[str, str],
    new_holder: Any,
    path: str,
    body: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    holder = new_holder()
    base = f"/v1/holders/{holder['id']}/{path}"
    created = http.post(base, json=body, headers=auth)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record == {"id": record["id"], **expected}
    assert http.get(created.headers["location"], headers=auth).json() == record
    assert http.get(base, headers=auth).json() == {"items": [record], "next_cursor": None}

    assert http.delete(created.headers["location"], headers=auth).status_code == 204
    assert http.get(created.headers["location"], headers=auth).status_code == 404
    assert http.get(base, headers=auth).json()["items"] == []


def test_records_listed_in_insertion_order(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder()
    base = f"/v1/holders/{holder['id']}/residence-periods"
    starts = ["2021-01-01", "2019-01-01", "2020-01-01"]
    for start in starts:
        http.post(base, json={"district": "441702", "start_date": start}, headers=auth)
    page = http.get(base, params={"limit": 2}, headers=auth).json()
    rest = http.get(base, params={"cursor": page["next_cursor"]}, headers=auth).json()
    assert [r["start_date"] for r in page["items"] + rest["items"]] == starts


def test_record_of_another_holder_is_404(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    first, second = new_holder(), new_holder()
    created = http.post(f"/v1/holders/{first['id']}/adjustments", json=ADJUSTMENT, headers=auth)
    other = f"/v1/holders/{second['id']}/adjustments/{created.json()['id']}"
    assert http.get(other, headers=auth).status_code == 404
    assert http.delete(other, headers=auth).status_code == 404


def test_endorsement_extends_valid_until(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder(valid_until="2026-12-31")
    url = f"/v1/holders/{holder['id']}"
    etag = http.get(url, headers=auth).headers["etag"]
    created = http.post(
        f"{url}/endorsements", json={"endorsed_on": "2025-06-30", "note": "年度签注"}, headers=auth
    )
    assert created.status_code == 201, created.text
    endorsement = created.json()
    assert endorsement["previous_valid_until"] == "2026-12-31"
    assert endorsement["valid_until"] == "2027-12-31"
    assert endorsement["endorsed_on"] == "2025-06-30"
    assert endorsement["note"] == "年度签注"
    assert endorsement["client"].startswith("client-")
    read = http.get(url, headers=auth)
    assert read.json()["permit"]["valid_until"] == "2027-12-31"
    assert read.headers["etag"] != etag
    assert http.get(created.headers["location"], headers=auth).json() == endorsement
    assert http.get(f"{url}/endorsements", headers=auth).json()["items"] == [endorsement]


def test_endorsement_of_lapsed_permit_counts_from_endorsement(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder(issued_on="2020-01-31", valid_until="2021-01-31")
    created = http.post(
        f"/v1/holders/{holder['id']}/endorsements", json={"endorsed_on": "2024-01-31"}, headers=auth
    )
    # max(valid_until, endorsed_on) + 12 months
    assert created.json()["valid_until"] == "2025-01-31"


def test_endorsement_defaults_to_today(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder()
    created = http.post(f"/v1/holders/{holder['id']}/endorsements", headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["endorsed_on"] == today().isoformat()


@pytest.mark.parametrize("status", ["suspended", "revoked"])
def test_only_active_permits_are_endorsed(
    http: TestClient, auth: dict[str, str], new_holder: Any, status: str
) -> None:
    holder = new_holder(status=status)
    response = http.post(f"/v1/holders/{holder['id']}/endorsements", json={}, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "permit.status"
    assert http.get(f"/v1/holders/{holder['id']}/endorsements", headers=auth).json()["items"] == []


def test_future_endorsement_refused(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for endorsed_on in [tomorrow, "2019-12-31"]:
        response = http.post(
            f"/v1/holders/{holder['id']}/endorsements",
            json={"endorsed_on": endorsed_on},
            headers=auth,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "endorsed_on"
