"""SPEC §7's order of statuses when two faults meet: for each adjacent pair of steps, a
request with both faults answers with the earlier step's status. Table-driven, several routes."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import holder_body

UNKNOWN = "00000000-0000-0000-0000-000000000000"
PATCH_TYPE = {"Content-Type": "application/merge-patch+json"}


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


# (what meets what, expected status, request builder: (holder id, etag, keys) -> kwargs)
CASES = [
    ("401 before 404: no key, unknown holder", 401,
     lambda h, e, k: {"method": "GET", "url": f"/v1/holders/{UNKNOWN}", "headers": {}}),
    ("403 (scope) before 404: unknown holder", 403,
     lambda h, e, k: {"method": "GET", "url": f"/v1/holders/{UNKNOWN}", "headers": k["scores"]}),
    ("403 (scope) before 422: bad body", 403,
     lambda h, e, k: {"method": "POST", "url": "/v1/holders", "headers": k["scores"], "json": {"x": 1}}),
    ("404 (holder elsewhere) before 422: bad body", 404,
     lambda h, e, k: {"method": "POST", "url": f"/v1/holders/{h}/residence-periods",
                      "headers": k["qingyang"], "json": {"district": "x"}}),
    ("404 (unknown jurisdiction) before 403 (not held)", 404,
     lambda h, e, k: {"method": "GET", "url": "/v1/jurisdictions/999900/ranking", "headers": k["qingyang"]}),
    ("403 (path jurisdiction) before 422: limit=0", 403,
     lambda h, e, k: {"method": "GET", "url": "/v1/jurisdictions/441700/ranking?limit=0",
                      "headers": k["qingyang"]}),
    ("415 before 422: wrong media type, bad body", 415,
     lambda h, e, k: {"method": "POST", "url": "/v1/holders", "headers": {**k["all"], "Content-Type": "text/plain"},
                      "content": b"{}"}),
    ("400 before 422: body that does not parse", 400,
     lambda h, e, k: {"method": "POST", "url": "/v1/holders", "headers": {**k["all"], "Content-Type": "application/json"},
                      "content": b"{"}),
    ("422 before 403 (body jurisdiction): bad field", 422,
     lambda h, e, k: {"method": "POST", "url": "/v1/holders", "headers": k["qingyang"],
                      "json": {**holder_body(), "name": ""}}),
    ("422 (body by itself) before 428: dates crossed, no If-Match", 422,
     lambda h, e, k: {"method": "PATCH", "url": f"/v1/holders/{h}", "headers": {**k["all"], **PATCH_TYPE},
                      "content": _json({"permit": {"issued_on": "2021-01-01", "valid_until": "2020-01-01"}})}),
    ("428 with a valid body and no If-Match", 428,
     lambda h, e, k: {"method": "PATCH", "url": f"/v1/holders/{h}", "headers": {**k["all"], **PATCH_TYPE},
                      "content": _json({"name": "李四"})}),
    ("422 (body by itself) before 412: stale If-Match", 422,
     lambda h, e, k: {"method": "PATCH", "url": f"/v1/holders/{h}",
                      "headers": {**k["all"], **PATCH_TYPE, "If-Match": '"stale"'},
                      "content": _json({"permit": {"issued_on": "2021-01-01", "valid_until": "2020-01-01"}})}),
    ("412 before 422 (only with the stored fields): stale If-Match", 412,
     lambda h, e, k: {"method": "PATCH", "url": f"/v1/holders/{h}",
                      "headers": {**k["all"], **PATCH_TYPE, "If-Match": '"stale"'},
                      "content": _json({"permit": {"valid_until": "2019-01-01"}})}),
    ("the stored-fields rule alone is step 4's 422", 422,
     lambda h, e, k: {"method": "PATCH", "url": f"/v1/holders/{h}",
                      "headers": {**k["all"], **PATCH_TYPE, "If-Match": e},
                      "content": _json({"permit": {"valid_until": "2019-01-01"}})}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "status", "build"), CASES, ids=[c[0] for c in CASES])
def test_the_earlier_step_answers(
    http: TestClient, make_key: Any, shipped_policies: list[str], case: str, status: int, build: Any
) -> None:
    keys = {
        "all": make_key(),
        "scores": make_key(["scores:read"]),
        "qingyang": make_key(jurisdictions=["621000"]),
    }
    created = http.post("/v1/holders", json=holder_body(), headers=keys["all"])
    holder, etag = created.json()["id"], created.headers["etag"]
    response = http.request(**build(holder, etag, keys))
    assert response.status_code == status, (case, response.text)
