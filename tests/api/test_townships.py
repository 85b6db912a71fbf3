"""Townships on residence periods (SPEC §4): shape, place, answers, digests, every route."""

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import holder_body

NDJSON = {"Content-Type": "application/x-ndjson"}
PERIOD = {"district": "441702", "start_date": "2020-01-01", "housing": "rented"}


def test_a_township_is_stored_and_read_back(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    created = http.post(url, json={**PERIOD, "township": "441702101"}, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["township"] == "441702101"
    assert http.get(created.headers["location"], headers=auth).json()["township"] == "441702101"
    # Not recorded: the key is left out of the answer rather than written as null.
    without = http.post(url, json=PERIOD, headers=auth).json()
    assert "township" not in without


@pytest.mark.parametrize(
    "township",
    [
        "44170210",  # 8 digits
        "4417021011",  # 10 digits
        "44170210a",
        "441702000",  # 000 is no township
        "441704101",  # a town of Yangdong, on a period in Jiangcheng
        "621002101",  # another city
    ],
)
def test_a_bad_township_is_422_naming_it(
    http: TestClient, auth: dict[str, str], new_holder: Any, township: str
) -> None:
    holder = new_holder()
    response = http.post(
        f"/v1/holders/{holder['id']}/residence-periods",
        json={**PERIOD, "township": township},
        headers=auth,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["township"]


def test_a_simulation_checks_townships_too(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    body = {
        "jurisdiction": "441700",
        "as_of": "2022-03-01",
        "permit": {"issued_on": "2020-01-01", "valid_until": "2030-01-01", "status": "active"},
        "residence_periods": [PERIOD, {**PERIOD, "township": "441704101"}],
    }
    response = http.post("/v1/simulations", json=body, headers=auth)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["residence_periods[1].township"]
    body["residence_periods"][1]["township"] = "441702101"
    assert http.post("/v1/simulations", json=body, headers=auth).status_code == 200


def test_an_import_line_checks_its_township(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = holder_body()
    ref = {"jurisdiction": "441700", "id_number": holder["id_number"]}
    lines = [
        {"kind": "holder", "holder": holder},
        {"kind": "residence_period", "holder": ref, "record": {**PERIOD, "township": "441702201"}},
        {"kind": "residence_period", "holder": ref, "record": {**PERIOD, "township": "441781101"}},
    ]
    body = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    report = http.post("/v1/imports", content=body, headers={**auth, **NDJSON}).json()
    assert report["stored"] == 2
    assert report["rejected"] == [
        {"line": 3, "field": "record.township", "message": report["rejected"][0]["message"]}
    ]
    created = http.post("/v1/holders/lookup", json=ref, headers=auth).json()
    periods = http.get(f"/v1/holders/{created['id']}/residence-periods", headers=auth).json()
    assert [p.get("township") for p in periods["items"]] == ["441702201"]


def _digest(inputs: dict[str, Any]) -> str:
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_the_digest_names_a_township_only_when_recorded(
    http: TestClient, auth: dict[str, str], example_policy: str, new_holder: Any
) -> None:
    holder = new_holder()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    http.post(url, json=PERIOD, headers=auth)
    http.post(
        url, json={**PERIOD, "start_date": "2021-01-01", "township": "441702001"}, headers=auth
    )
    assessment = http.post(
        f"/v1/holders/{holder['id']}/assessments", json={"as_of": "2022-03-01"}, headers=auth
    ).json()
    period = {
        "district": "441702",
        "start_date": "2020-01-01",
        "end_date": None,
        "housing": "rented",
    }
    expected = {
        "policy_id": example_policy,
        "as_of": "2022-03-01",
        "permit": {"issued_on": "2020-01-01", "valid_until": "2026-12-31", "status": "active"},
        "residence_periods": [
            period,
            {**period, "start_date": "2021-01-01", "township": "441702001"},
        ],
        "insurance_periods": [],
        "adjustments": [],
    }
    assert assessment["inputs_digest"] == _digest(expected)
