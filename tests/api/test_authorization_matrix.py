"""Every /v1 route x {no key, a key without the route's scope, a key of another jurisdiction}
(SPEC §7): 401, 403, and 404 or 403 as the table of §7 says."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from tests.api.test_impact import draft_document
from tests.api.test_impact_jobs import finished
from tests.api.test_scores import WORKED_PERMIT
from tests.conftest import (
    FIXTURES,
    empty_register,
    holder_body,
    new_key,
    publish_files,
    store_holder,
)

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text()
)
ROUTES = sorted(
    (path, method.upper(), operation["operationId"])
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
    if path.startswith("/v1/")
)
ALL = ["holders:read", "holders:write", "scores:read", "policies:write", "audit:read"]

# The scope each operation needs (None: any valid key; public law).
SCOPE = {
    "listHolders": "holders:read", "createHolder": "holders:write", "lookupHolder": "holders:read",
    "readHolder": "holders:read", "updateHolder": "holders:write",
    "listAdjustments": "holders:read", "createAdjustment": "holders:write",
    "deleteAdjustment": "holders:write", "readAdjustment": "holders:read",
    "listEndorsements": "holders:read", "createEndorsement": "holders:write", "readEndorsement": "holders:read",
    "listInsurancePeriods": "holders:read", "createInsurancePeriod": "holders:write",
    "deleteInsurancePeriod": "holders:write", "readInsurancePeriod": "holders:read",
    "listResidencePeriods": "holders:read", "createResidencePeriod": "holders:write",
    "deleteResidencePeriod": "holders:write", "readResidencePeriod": "holders:read",
    "readScore": "scores:read", "createAssessment": "scores:read", "readAssessment": "scores:read",
    "simulateScore": "scores:read", "readRanking": "scores:read",
    "publishPolicy": "policies:write", "listAudit": "audit:read", "listAuditEvents": "audit:read",
    "createImport": "holders:write", "readImport": "holders:write",
    "listJurisdictions": None, "listPolicies": None, "readPolicy": None,
    "createImpactRun": "policies:simulate", "listImpactRuns": "policies:simulate",
    "readImpactRun": "policies:simulate", "readImpactReport": "policies:simulate",
    "cancelImpactRun": "policies:simulate",
}  # fmt: skip
# A scope that also grants another: who publishes policies may look at a draft's impact.
ALSO_GRANTED_BY = {"policies:simulate": "policies:write"}

# What a key of another jurisdiction gets (SPEC §7's table): routes naming a holder or an
# assessment answer 404; routes naming the jurisdiction 403; lists show nothing (200).
OTHER_JURISDICTION = {
    "createHolder": 403, "simulateScore": 403, "readRanking": 403, "publishPolicy": 403,
    "lookupHolder": 404, "readAssessment": 404, "listHolders": 200, "listAuditEvents": 200,
    "createImport": 201,  # accepted, and its Yangjiang line rejected (see test_imports)
    "listJurisdictions": 200, "listPolicies": 200, "readPolicy": 200,
    "createImpactRun": 403, "listImpactRuns": 403, "readImpactRun": 403,
    "readImpactReport": 403, "cancelImpactRun": 403,
}  # fmt: skip


@pytest.fixture(scope="module")
def engine(app: Any) -> Iterator[sa.Engine]:
    """One register for the whole module, emptied after it. Every test here reads the world
    below and changes nothing another test reads: a request without a key or its scope is
    refused before it acts, one of another jurisdiction is refused or sees nothing of
    Yangjiang (its import stores only a rejected line), and each test's keys are its own."""
    engine: sa.Engine = app.state.engine
    yield engine
    empty_register(engine)


@pytest.fixture(scope="module")
def world(app: Any, engine: sa.Engine) -> dict[str, Any]:
    """A Yangjiang holder with one record of each kind and an assessment, built once."""
    with TestClient(app, raise_server_exceptions=False) as http:
        return _build_world(http, engine)


def _build_world(http: TestClient, engine: sa.Engine) -> dict[str, Any]:
    publish_files(engine, FIXTURES / "example_policy.yaml")
    key = new_key(engine)
    holder_id = store_holder(http, key, {
        "residence_periods": [{"district": "441702", "start_date": "2020-01-01"}],
        "insurance_periods": [{"district": "441702", "type": "pension", "start_month": "2020-01"}],
        "adjustments": [{"code": "college_degree", "effective_from": "2020-01-01"}],
    }, **WORKED_PERMIT)  # fmt: skip
    ids = {"holder_id": holder_id, "code": "441700", "policy_id": "441700@example"}
    for kind in ("residence-periods", "insurance-periods", "adjustments"):
        ids[kind] = http.get(f"/v1/holders/{holder_id}/{kind}", headers=key).json()["items"][0][
            "id"
        ]
    ids["endorsement_id"] = http.post(
        f"/v1/holders/{holder_id}/endorsements", json={}, headers=key
    ).json()["id"]
    ids["assessment_id"] = http.post(
        f"/v1/holders/{holder_id}/assessments", json={}, headers=key
    ).json()["id"]
    ids["import_id"] = http.post(
        "/v1/imports", content=IMPORT, headers={**key, "Content-Type": "application/x-ndjson"}
    ).json()["id"]
    run = http.post("/v1/jurisdictions/441700/impact", json=DRAFT, headers=key)
    ids["impact_id"] = finished(http, key, run.headers["location"])["id"]
    return ids


def _new_version() -> Any:
    """The example policy as a new, later version: an id not yet published."""
    document = yaml.safe_load((FIXTURES / "example_policy.yaml").read_text(encoding="utf-8"))
    document.update(version="2040", effective_from="2040-01-01", tests=document["tests"][:1])
    document["tests"][0]["as_of"] = "2040-01-01"
    return json.loads(json.dumps(document, default=str))


NEW_VERSION = _new_version()
DRAFT = draft_document()
IMPORT = json.dumps({"kind": "holder", "holder": holder_body()}).encode()


def _request(
    http: TestClient, world: dict[str, Any], path: str, method: str, headers: dict[str, str]
) -> Any:
    record_kind = path.split("/")[4] if path.count("/") >= 5 else ""
    url = path.format(
        holder_id=world["holder_id"], code=world["code"], policy_id=world["policy_id"],
        record_id=world.get(record_kind, ""), endorsement_id=world["endorsement_id"],
        assessment_id=world["assessment_id"], import_id=world["import_id"],
        impact_id=world["impact_id"],
    )  # fmt: skip
    if path == "/v1/imports":
        return http.post(
            url, content=IMPORT, headers={**headers, "Content-Type": "application/x-ndjson"}
        )
    bodies = {
        "/v1/holders": holder_body(),
        "/v1/holders/lookup": {"jurisdiction": "441700", "id_number": "441702199001010011"},
        "/v1/simulations": {"jurisdiction": "441700", "permit": WORKED_PERMIT},
        "/v1/policies": NEW_VERSION,
        "/v1/jurisdictions/{code}/impact": DRAFT,
    }  # fmt: skip
    body = bodies.get(path, {}) if method in ("POST", "PATCH") else None
    extra = {"If-Match": '"x"'} if method == "PATCH" else {}
    return http.request(method, url, json=body, headers={**headers, **extra})


@pytest.mark.parametrize(("path", "method", "operation"), ROUTES, ids=[r[2] for r in ROUTES])
def test_no_key_is_401(
    http: TestClient, world: dict[str, Any], path: str, method: str, operation: str
) -> None:
    response = _request(http, world, path, method, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("path", "method", "operation"), ROUTES, ids=[r[2] for r in ROUTES])
def test_missing_scope_is_403(
    http: TestClient, make_key: Any, world: dict[str, Any], path: str, method: str, operation: str
) -> None:
    scope = SCOPE[operation]
    lacking = {scope, ALSO_GRANTED_BY.get(scope)}
    key = make_key([s for s in ALL if s not in lacking] if scope else ["holders:read"])
    response = _request(http, world, path, method, key)
    if scope is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 403, response.text
        assert scope in response.json()["detail"]


@pytest.mark.parametrize(("path", "method", "operation"), ROUTES, ids=[r[2] for r in ROUTES])
def test_other_jurisdiction(
    http: TestClient, make_key: Any, world: dict[str, Any], path: str, method: str, operation: str
) -> None:
    key = make_key(ALL, ["621000"])
    response = _request(http, world, path, method, key)
    expected = OTHER_JURISDICTION.get(operation, 404)  # every /v1/holders/{id}/... route: 404
    assert response.status_code == expected, (operation, response.text)
    if expected == 403:
        assert "441700" in response.json()["detail"]
    if operation in ("listHolders", "listAuditEvents"):
        assert all(world["holder_id"] not in json.dumps(item) for item in response.json()["items"])
