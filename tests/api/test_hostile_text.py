"""Text the database cannot hold (NUL, half a surrogate pair) sent to every operation, in its
path, its query, its body or its NDJSON lines: never a 5xx, and a 422 naming the field where
the text is a field. Deterministic, on both databases (schemathesis draws such text only now
and then)."""

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.conftest import holder_body

NUL, SURROGATE = "\u0000", "\ud800"
PERIOD = {"district": "441702", "start_date": "2020-01-01"}
INSURANCE = {"district": "441702", "type": "pension", "start_month": "2020-01"}
PERMIT = {"issued_on": "2020-01-01", "valid_until": "2030-01-01", "status": "active"}


def _json(body: Any) -> dict[str, Any]:
    # json.dumps writes "\u0000" and "\ud800" as escapes: what a client's JSON would carry.
    return {"content": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


# (operationId, method, path, request kwargs, the field a 422 must name or None for 404/4xx)
def cases(bad: str, holder: str, record: str) -> list[tuple[str, str, str, dict[str, Any], Any]]:
    try:
        raw = quote(bad, safe="")  # in a path or a query string: percent-encoded
    except UnicodeEncodeError:  # a surrogate has no UTF-8 form to send in a URL
        raw = "%ED%A0%80"
    ndjson = json.dumps({"kind": "holder", "holder": holder_body(id_number=f"4417021990{bad}")})
    return [
        ("checkHealth", "GET", f"/healthz?x={raw}", {}, None),
        ("readMetrics", "GET", f"/metrics?x={raw}", {}, None),
        ("checkReadiness", "GET", f"/readyz?x={raw}", {}, None),
        ("readAssessment", "GET", f"/v1/assessments/{raw}", {}, None),
        ("listAuditEvents", "GET", "/v1/audit", {"params": {"client": bad}}, "client"),
        ("listAuditEvents", "GET", "/v1/audit", {"params": {"since": bad}}, "since"),
        ("listHolders", "GET", "/v1/holders", {"params": {"cursor": bad}}, "cursor"),
        ("listHolders", "GET", "/v1/holders", {"params": {"district": bad}}, "district"),
        ("createHolder", "POST", "/v1/holders", _json(holder_body(id_number=bad)), "id_number"),
        ("createHolder", "POST", "/v1/holders",
         _json({**holder_body(), "permit": {**holder_body()["permit"], "number": bad}}), "permit.number"),
        ("lookupHolder", "POST", "/v1/holders/lookup",
         _json({"jurisdiction": "441700", "id_number": bad}), "id_number"),
        ("readHolder", "GET", f"/v1/holders/{raw}", {}, None),
        ("updateHolder", "PATCH", f"/v1/holders/{holder}", _json({"name": bad}), "name"),
        ("listAdjustments", "GET", f"/v1/holders/{holder}/adjustments", {"params": {"cursor": bad}}, "cursor"),
        ("createAdjustment", "POST", f"/v1/holders/{holder}/adjustments",
         _json({"code": bad, "effective_from": "2020-01-01"}), "code"),
        ("deleteAdjustment", "DELETE", f"/v1/holders/{holder}/adjustments/{raw}", {}, None),
        ("readAdjustment", "GET", f"/v1/holders/{holder}/adjustments/{raw}", {}, None),
        ("createAssessment", "POST", f"/v1/holders/{holder}/assessments", _json({"as_of": bad}), "as_of"),
        ("listEndorsements", "GET", f"/v1/holders/{holder}/endorsements", {"params": {"cursor": bad}}, "cursor"),
        ("createEndorsement", "POST", f"/v1/holders/{holder}/endorsements", _json({"note": bad}), "note"),
        ("readEndorsement", "GET", f"/v1/holders/{holder}/endorsements/{raw}", {}, None),
        ("listInsurancePeriods", "GET", f"/v1/holders/{holder}/insurance-periods", {"params": {"cursor": bad}}, "cursor"),
        ("createInsurancePeriod", "POST", f"/v1/holders/{holder}/insurance-periods",
         _json({**INSURANCE, "source": bad}), "source"),
        ("deleteInsurancePeriod", "DELETE", f"/v1/holders/{holder}/insurance-periods/{record}{raw}", {}, None),
        ("readInsurancePeriod", "GET", f"/v1/holders/{holder}/insurance-periods/{raw}", {}, None),
        ("listResidencePeriods", "GET", f"/v1/holders/{holder}/residence-periods", {"params": {"cursor": bad}}, "cursor"),
        ("createResidencePeriod", "POST", f"/v1/holders/{holder}/residence-periods",
         _json({**PERIOD, "source": bad}), "source"),
        ("createResidencePeriod", "POST", f"/v1/holders/{holder}/residence-periods",
         _json({**PERIOD, "township": bad}), "township"),
        ("deleteResidencePeriod", "DELETE", f"/v1/holders/{holder}/residence-periods/{raw}", {}, None),
        ("readResidencePeriod", "GET", f"/v1/holders/{holder}/residence-periods/{raw}", {}, None),
        ("readScore", "GET", f"/v1/holders/{holder}/score", {"params": {"as_of": bad}}, "as_of"),
        ("createImport", "POST", "/v1/imports",
         {"content": ndjson.encode(), "headers": {"Content-Type": "application/x-ndjson"}}, "import"),
        ("readImport", "GET", f"/v1/imports/{raw}", {}, None),
        ("listJurisdictions", "GET", "/v1/jurisdictions", {"params": {"cursor": bad}}, "cursor"),
        ("listPolicies", "GET", f"/v1/jurisdictions/{raw}/policies", {}, None),
        ("readRanking", "GET", f"/v1/jurisdictions/{raw}/ranking", {}, None),
        ("readRanking", "GET", "/v1/jurisdictions/441700/ranking", {"params": {"cursor": bad}}, "cursor"),
        ("publishPolicy", "POST", "/v1/policies", _json({"jurisdiction": {"code": "441700"}, "version": bad}), "version"),
        ("readPolicy", "GET", f"/v1/policies/441700@{raw}", {}, None),
        ("createImpactRun", "POST", "/v1/jurisdictions/441700/impact",
         _json({"jurisdiction": {"code": "441700"}, "version": bad}), "version"),
        ("createImpactRun", "POST", f"/v1/jurisdictions/{raw}/impact", _json({}), None),
        ("listImpactRuns", "GET", "/v1/jurisdictions/441700/impact", {"params": {"cursor": bad}}, "cursor"),
        ("readImpactRun", "GET", f"/v1/jurisdictions/441700/impact/{raw}", {}, None),
        ("readImpactReport", "GET", f"/v1/jurisdictions/441700/impact/{raw}/report", {}, None),
        ("cancelImpactRun", "POST", f"/v1/jurisdictions/441700/impact/{raw}/cancel", _json({}), None),
        ("simulateScore", "POST", "/v1/simulations",
         _json({"jurisdiction": "441700", "permit": PERMIT, "residence_periods": [{**PERIOD, "source": bad}]}),
         "residence_periods[0].source"),
    ]  # fmt: skip


def test_every_operation_is_tried(app: Any) -> None:
    operations = {
        operation["operationId"]
        for path in app.openapi()["paths"].values()
        for operation in path.values()
    }
    assert {case[0] for case in cases(NUL, "h", "r")} == operations


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_unstorable_text_is_never_a_5xx_and_names_its_field(
    http: TestClient, auth: dict[str, str], new_holder: Any, shipped_policies: list[str], bad: str
) -> None:
    holder = new_holder()["id"]
    record = http.post(
        f"/v1/holders/{holder}/insurance-periods", json=INSURANCE, headers=auth
    ).json()["id"]
    for operation, method, path, kwargs, field in cases(bad, holder, record):
        headers = {**auth, **kwargs.pop("headers", {})}
        if operation == "updateHolder":
            headers["If-Match"] = http.get(f"/v1/holders/{holder}", headers=auth).headers["etag"]
            headers["Content-Type"] = "application/merge-patch+json"
        try:
            response = http.request(method, path, headers=headers, **kwargs)
        except UnicodeEncodeError:  # a surrogate in a query parameter: no UTF-8 form to send
            continue
        assert response.status_code < 500, (operation, response.status_code, response.text)
        if field == "import":
            assert response.status_code == 201
            assert [r["field"] for r in response.json()["rejected"]] == ["holder.id_number"]
        elif field is not None:
            assert response.status_code == 422, (operation, response.status_code, response.text)
            assert field in [e["field"] for e in response.json()["errors"]], (
                operation,
                response.text,
            )


def test_a_deeply_nested_body_with_an_escape_is_a_4xx(
    http: TestClient, auth: dict[str, str]
) -> None:
    nested = "[" * 5000 + "]" * 5000
    body = ('{"name": "\\u0000", "n": ' + nested + "}").encode()
    response = http.post(
        "/v1/holders", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
