"""Scores, simulations and assessments over HTTP (SPEC §6.5, §7)."""

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import store_holder
from tests.worked_example import SPEC_SCORE_JSON

# SPEC §6.5, as other systems would send it.
WORKED_PERMIT = {"issued_on": "2019-03-01", "valid_until": "2027-02-28", "status": "active"}
WORKED_RECORDS = {
    "residence_periods": [
        {"district": "441702", "start_date": "2018-01-31", "end_date": "2020-06-01"},
        {"district": "441702", "start_date": "2020-05-20"},
        {"district": "440100", "start_date": "2010-01-01", "end_date": "2018-01-01"},
    ],
    "insurance_periods": [
        {"district": "441702", "type": "pension", "start_month": "2018-03", "end_month": "2021-12"},
        {"district": "441702", "type": "pension", "start_month": "2022-03"},
        {"district": "441702", "type": "medical", "start_month": "2015-01"},
    ],
    "adjustments": [{"code": "college_degree", "effective_from": "2019-01-01"}],
}

# SPEC §7's score response, but for the holder id, which each test supplies.
WORKED_SCORE_2022_03_01 = {k: v for k, v in SPEC_SCORE_JSON.items() if k != "holder_id"}


@pytest.fixture
def worked_holder(http: TestClient, auth: dict[str, str], example_policy: str) -> str:
    return store_holder(http, auth, WORKED_RECORDS, **WORKED_PERMIT)


def test_worked_example_through_the_score_endpoint(
    http: TestClient, auth: dict[str, str], worked_holder: str
) -> None:
    response = http.get(
        f"/v1/holders/{worked_holder}/score", params={"as_of": "2022-03-01"}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"holder_id": worked_holder, **WORKED_SCORE_2022_03_01}
    assert list(response.json()) == ["holder_id", *WORKED_SCORE_2022_03_01]


def test_worked_example_through_a_simulation(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    body = {
        "jurisdiction": "441700",
        "as_of": "2022-03-01",
        "permit": WORKED_PERMIT,
        **WORKED_RECORDS,
    }
    response = http.post("/v1/simulations", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"holder_id": None, **WORKED_SCORE_2022_03_01}


@pytest.mark.parametrize(
    ("as_of", "residence", "insurance", "points", "education", "projected_on"),
    [
        ("2022-03-01", 49, 46, [8, 9, 10], 2, "2024-05-01"),
        ("2022-07-01", 53, 50, [8, 12, 10], 2, "2024-05-01"),
        ("2026-11-22", 105, 102, [16, 24, 10], 3, None),
    ],
)
def test_worked_example_table(
    http: TestClient,
    auth: dict[str, str],
    worked_holder: str,
    as_of: str,
    residence: int,
    insurance: int,
    points: list[int],
    education: int,
    projected_on: str | None,
) -> None:
    score = http.get(
        f"/v1/holders/{worked_holder}/score", params={"as_of": as_of}, headers=auth
    ).json()
    components = score["components"]
    assert [c.get("months") for c in components[:2]] == [residence, insurance]
    assert [c["points"] for c in components] == points
    assert score["total_points"] == sum(points)
    education_entitlement = score["entitlements"][0]
    assert education_entitlement["level"] == education
    assert (education_entitlement["next"] or {}).get("projected_on") == projected_on


def test_no_policy_in_force_names_the_date(
    http: TestClient, auth: dict[str, str], worked_holder: str
) -> None:
    response = http.get(
        f"/v1/holders/{worked_holder}/score", params={"as_of": "2016-04-10"}, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "as_of"
    assert "2016-04-10" in response.json()["errors"][0]["message"]


def test_score_needs_scores_scope(http: TestClient, make_key: Any, worked_holder: str) -> None:
    response = http.get(f"/v1/holders/{worked_holder}/score", headers=make_key(["holders:read"]))
    assert response.status_code == 403


def expected_digest(policy_id: str, as_of: str) -> str:
    """SPEC §7's digest, computed independently from the worked example's records."""
    inputs = {
        "policy_id": policy_id,
        "as_of": as_of,
        "permit": WORKED_PERMIT,
        "residence_periods": [
            {
                "district": r["district"],
                "start_date": r["start_date"],
                "end_date": r.get("end_date"),
                "housing": "other",
            }
            for r in WORKED_RECORDS["residence_periods"]
        ],
        "insurance_periods": [
            {
                "district": p["district"],
                "type": p["type"],
                "start_month": p["start_month"],
                "end_month": p.get("end_month"),
            }
            for p in WORKED_RECORDS["insurance_periods"]
        ],
        "adjustments": [
            {"code": "college_degree", "effective_from": "2019-01-01", "effective_to": None}
        ],
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_assessment_is_immutable_and_citable(
    http: TestClient, auth: dict[str, str], worked_holder: str
) -> None:
    created = http.post(
        f"/v1/holders/{worked_holder}/assessments", json={"as_of": "2022-03-01"}, headers=auth
    )
    assert created.status_code == 201, created.text
    assessment = created.json()
    assert assessment["holder_id"] == worked_holder
    assert assessment["policy_id"] == "441700@example"
    assert assessment["as_of"] == "2022-03-01"
    assert assessment["client"].startswith("client-")
    assert assessment["score"] == {"holder_id": worked_holder, **WORKED_SCORE_2022_03_01}
    assert assessment["inputs_digest"] == expected_digest("441700@example", "2022-03-01")

    # Later record changes never alter it.
    http.post(f"/v1/holders/{worked_holder}/adjustments",
              json={"code": "false_materials", "effective_from": "2020-01-01"}, headers=auth)  # fmt: skip
    assert http.get(f"/v1/holders/{worked_holder}/score", params={"as_of": "2022-03-01"},
                    headers=auth).json()["total_points"] == 7  # fmt: skip
    assert http.get(created.headers["location"], headers=auth).json() == assessment


def test_assessment_defaults_to_today_with_empty_body(
    http: TestClient, auth: dict[str, str], worked_holder: str
) -> None:
    created = http.post(f"/v1/holders/{worked_holder}/assessments", headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["score"]["as_of"] == created.json()["as_of"]


def test_assessment_of_other_jurisdiction_is_404(
    http: TestClient, auth: dict[str, str], make_key: Any, worked_holder: str
) -> None:
    created = http.post(
        f"/v1/holders/{worked_holder}/assessments", json={"as_of": "2022-03-01"}, headers=auth
    )
    elsewhere = make_key(jurisdictions=["621000"])
    assert http.get(created.headers["location"], headers=elsewhere).status_code == 404
    assert (
        http.post(
            f"/v1/holders/{worked_holder}/assessments", json={}, headers=elsewhere
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"jurisdiction": "999999"}, "jurisdiction"),
        ({"as_of": "2016-01-01"}, "as_of"),
        ({"residence_periods": [{"district": "441799", "start_date": "2020-01-01"}]}, "residence_periods[0].district"),
        ({"insurance_periods": [{"district": "441702", "type": "pension", "start_month": "2020-13"}]},
         "insurance_periods[0].start_month"),
        ({"adjustments": [{"code": "astronaut", "effective_from": "2020-01-01"}]}, "adjustments[0].code"),
        ({"residence_periods": [{"district": "441702", "start_date": "2020-01-01"}] * 501}, "residence_periods"),
        ({"permit": {"issued_on": "2020-01-01", "valid_until": "2019-01-01", "status": "active"}}, "permit.valid_until"),
    ],
)  # fmt: skip
def test_bad_simulations_name_the_field(
    http: TestClient, auth: dict[str, str], example_policy: str, change: dict[str, Any], field: str
) -> None:
    body = {"jurisdiction": "441700", "as_of": "2022-03-01", "permit": WORKED_PERMIT, **change}
    response = http.post("/v1/simulations", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_simulation_may_describe_the_future(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    body = {
        "jurisdiction": "441700", "as_of": "2040-01-01", "permit": {**WORKED_PERMIT, "valid_until": "2045-01-01"},
        "residence_periods": [{"district": "441702", "start_date": "2030-01-01"}],
    }  # fmt: skip
    response = http.post("/v1/simulations", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["components"][0]["months"] == 120


def test_simulation_in_jurisdiction_not_held_is_403(
    http: TestClient, make_key: Any, example_policy: str
) -> None:
    body = {"jurisdiction": "441700", "as_of": "2022-03-01", "permit": WORKED_PERMIT}
    response = http.post("/v1/simulations", json=body, headers=make_key(jurisdictions=["621000"]))
    assert response.status_code == 403
