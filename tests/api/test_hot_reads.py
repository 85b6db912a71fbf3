"""The hot reads of personal data (issue 18) answer alike on both of their paths: the event
loop's (PostgreSQL, the client kept by the worker) and the engine's in a thread (a client the
worker does not keep yet, and SQLite). Each request is sent twice: once after the worker has
forgotten its clients, then again with the client kept."""

import base64
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.audit.models import AuditEvent
from app.clients.service import ClientCache
from app.db.base import table_of
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
# More records than a simulation is scored with on the event loop (`RECORDS_ON_THE_LOOP`).
MONTHS = [f"{2005 + i // 12}-{i % 12 + 1:02d}" for i in range(150)]
LONG_SIMULATION = {
    **SIMULATION,
    "insurance_periods": [
        {"district": "441702", "type": "pension", "start_month": m, "end_month": m} for m in MONTHS
    ],
}


AUDIT = table_of(AuditEvent)
# What an audit row says, but its id, time and request id.
AUDITED = ("client", "method", "route", "action", "status", "holder_id", "jurisdictions",
           "filter", "rows")  # fmt: skip


def last_audit_seq(app: Any) -> int:
    with app.state.engine.connect() as connection:
        found = connection.execute(sa.select(sa.func.max(AUDIT.c.seq))).scalar_one()
    return int(found or 0)


def audit_rows(app: Any, after: int, upto: int) -> list[tuple[Any, ...]]:
    query = sa.select(*(AUDIT.c[name] for name in AUDITED)).order_by(AUDIT.c.seq)
    with app.state.engine.connect() as connection:
        rows = connection.execute(query.where(AUDIT.c.seq > after, AUDIT.c.seq <= upto))
        return [tuple(row) for row in rows]


def both_paths(
    app: Any, http: TestClient, method: str, url: str, headers: dict[str, str], **sent: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The request sent on the engine's path, then on the event loop's; their audit rows
    must say the same."""
    app.state.client_cache = ClientCache()  # the worker forgets its clients
    start = last_audit_seq(app)
    with statements(app) as engine_path:
        first = http.request(method, url, headers=headers, **sent)
    middle = last_audit_seq(app)
    with statements(app) as loop_path:
        second = http.request(method, url, headers=headers, **sent)
    end = last_audit_seq(app)
    if app.state.postgres is not None:
        assert any(not s.startswith("event loop: ") for s in engine_path), url
        assert all(s.startswith("event loop: ") for s in loop_path), url
    first_rows = audit_rows(app, start, middle)
    assert len(first_rows) == 1 and audit_rows(app, middle, end) == first_rows, url
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
    ("long simulation", "POST", "/v1/simulations", LONG_SIMULATION, 200),
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


def cursor_of(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


# Bad pages of a list, the records' (parsed by the route) and the endorsements' (by FastAPI).
BAD_PAGES = [
    "limit=0", "limit=501", "limit=abc", "limit=", "limit=1.5", "limit=2&limit=0",
    "cursor=" + "x" * 201, "cursor=%00", "cursor=eHl6", "limit=0&cursor=%00",
    "cursor=" + cursor_of("s" + "9" * 30),  # past a BIGINT: no cursor this service gave
    "cursor=" + cursor_of("s-1"),
]  # fmt: skip


@pytest.mark.parametrize("query", BAD_PAGES)
def test_a_bad_page_is_refused_as_fastapi_refuses_it(
    app: Any, http: TestClient, make_key: Callable[..., dict[str, str]], holders: Any, query: str
) -> None:
    """FastAPI still reads the endorsements' `limit` and `cursor`: the oracle of the records'."""
    reader = make_key(["holders:read"], ["441700"])
    url = f"/v1/holders/{holders[0]}/residence-periods?{query}"
    first, second = both_paths(app, http, "GET", url, reader)
    oracle = http.get(f"/v1/holders/{holders[0]}/endorsements?{query}", headers=reader)
    assert oracle.status_code == 422, oracle.text
    for answer in (first, second):
        assert (answer.status_code, answer.json()) == (422, oracle.json())


@pytest.mark.parametrize(
    "url",
    [
        "/v1/holders/{mine}",
        "/v1/holders/{elsewhere}/residence-periods?limit=0",
        "/v1/holders/{mine}/adjustments?cursor=" + cursor_of("s" + "9" * 30),
        "/v1/holders/{mine}/score?as_of=nonsense",
    ],
)
def test_an_unknown_key_is_refused_before_anything_else(
    http: TestClient, holders: Any, url: str
) -> None:
    unknown = {"Authorization": "Bearer not-a-key-of-this-service"}
    answer = http.get(url.format(mine=holders[0], elsewhere=holders[1]), headers=unknown)
    assert answer.status_code == 401, answer.text
