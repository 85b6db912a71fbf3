"""The hot reads of personal data (issue 18) answer alike on both of their paths: the event
loop's (PostgreSQL, the client kept by the worker) and the engine's in a thread (a client the
worker does not keep yet, and SQLite). Each request is sent twice: once after the worker has
forgotten its clients, then again with the client kept."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.clients.service import ClientCache
from tests.conftest import store_holder
from tests.statements import statements

PERMIT = {"issued_on": "2019-03-01", "valid_until": "2030-12-31", "status": "active"}
RECORDS = {
    "residence_periods": [
        {"district": "441702", "start_date": f"{2015 + i}-01-01", "end_date": f"{2015 + i}-12-01"}
        for i in range(5)
    ],
    "insurance_periods": [
        {"district": "441702", "type": "pension", "start_month": "2015-01", "end_month": "2020-12"}
    ],
    "adjustments": [{"code": "college_degree", "effective_from": "2016-07-01"}],
}
SIMULATION = {"jurisdiction": "441700", "as_of": "2024-01-01", "permit": PERMIT, **RECORDS}


def both_paths(
    app: Any, http: TestClient, method: str, url: str, headers: dict[str, str], **sent: Any
) -> tuple[httpx.Response, httpx.Response]:
    app.state.client_cache = ClientCache()  # the worker forgets its clients
    with statements(app) as engine_path:
        first = http.request(method, url, headers=headers, **sent)
    with statements(app) as loop_path:
        second = http.request(method, url, headers=headers, **sent)
    if app.state.postgres is not None:
        assert any(not s.startswith("event loop: ") for s in engine_path), url
        assert all(s.startswith("event loop: ") for s in loop_path), url
    return first, second


@pytest.fixture
def holders(
    http: TestClient, make_key: Callable[..., dict[str, str]], shipped_policies: Any
) -> Any:
    writer = make_key()
    mine = store_holder(http, writer, RECORDS, **PERMIT)
    elsewhere = store_holder(http, writer, {}, jurisdiction="370300", **PERMIT)
    page = http.get(f"/v1/holders/{mine}/residence-periods?limit=2", headers=writer).json()
    return mine, elsewhere, page["next_cursor"]


CASES = [
    # name, method, url ({mine}, {elsewhere}, {unknown}, {cursor}), body, status
    ("holder", "GET", "/v1/holders/{mine}", None, 200),
    ("page one", "GET", "/v1/holders/{mine}/residence-periods?limit=2", None, 200),
    ("page two", "GET", "/v1/holders/{mine}/residence-periods?limit=2&cursor={cursor}", None, 200),
    ("insurance", "GET", "/v1/holders/{mine}/insurance-periods", None, 200),
    ("adjustments", "GET", "/v1/holders/{mine}/adjustments", None, 200),
    ("score", "GET", "/v1/holders/{mine}/score?as_of=2024-01-01", None, 200),
    ("simulation", "POST", "/v1/simulations", SIMULATION, 200),
    ("another city's holder", "GET", "/v1/holders/{elsewhere}", None, 404),
    ("another city's records", "GET", "/v1/holders/{elsewhere}/adjustments", None, 404),
    ("no such holder", "GET", "/v1/holders/{unknown}/residence-periods", None, 404),
    ("no UUID", "GET", "/v1/holders/not-an-id", None, 404),
    ("404 before 422", "GET", "/v1/holders/{unknown}/residence-periods?limit=0", None, 404),
    ("bad page", "GET", "/v1/holders/{mine}/residence-periods?limit=0&cursor=%00", None, 422),
    ("foreign cursor", "GET", "/v1/holders/{mine}/adjustments?cursor=eHl6", None, 422),
    ("bad simulation", "POST", "/v1/simulations", {**SIMULATION, "jurisdiction": "1"}, 422),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_both_paths_answer_alike(
    app: Any,
    http: TestClient,
    make_key: Callable[..., dict[str, str]],
    holders: Any,
    method: str,
    url: str,
    body: Any,
    status: int,
) -> None:
    mine, elsewhere, cursor = holders
    reader = make_key(["holders:read", "scores:read"], ["441700"])
    url = url.format(mine=mine, elsewhere=elsewhere, unknown=uuid.uuid4(), cursor=cursor)
    first, second = both_paths(app, http, method, url, reader, json=body)
    assert first.status_code == status, first.text
    assert (second.status_code, second.content) == (first.status_code, first.content)
    for header in ("content-type", "etag"):
        assert second.headers.get(header) == first.headers.get(header)


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("/v1/holders/{mine}", "scores:read"),
        ("/v1/holders/{mine}/residence-periods?limit=0", "scores:read"),
        ("/v1/holders/{mine}/score", "holders:read"),
    ],
)
def test_a_missing_scope_is_403_on_both_paths(
    app: Any,
    http: TestClient,
    make_key: Callable[..., dict[str, str]],
    holders: Any,
    url: str,
    scope: str,
) -> None:
    first, second = both_paths(app, http, "GET", url.format(mine=holders[0]), make_key([scope]))
    assert first.status_code == second.status_code == 403
    assert first.json() == second.json()
