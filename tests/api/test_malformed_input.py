"""Garbage in: wrong types, huge strings, invalid UTF-8, injection strings, impossible dates.
Always a 4xx problem naming the field, never a 5xx, nothing stored, no value echoed."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.register.models import Holder, ResidencePeriod
from tests.conftest import holder_body

NASTY: list[Any] = [
    None, 0, -1, 1.5, True, [], {}, "", " ",
    "x" * 100_000,
    "'; DROP TABLE holders; --", "' OR '1'='1", "1; SELECT pg_sleep(10)",
    "../../etc/passwd", "%2e%2e%2f", "\u0000", "\ud800", "<script>alert(1)</script>",
    "2023-02-30", "2023-13", "2023-13-01", "0000-00-00", "0000-01", "99999-01-01", "2023-1-1", "20230101",
]  # fmt: skip

HOLDER_FIELDS = ["jurisdiction", "id_number", "name", "permit"]
PERMIT_FIELDS = ["number", "issued_on", "valid_until", "status"]
PERIOD_FIELDS = ["district", "start_date", "end_date", "housing", "source"]
INSURANCE_FIELDS = ["district", "type", "start_month", "end_month"]


def post_json(http: TestClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    """As a client that escapes non-ASCII (so that a lone surrogate can be sent at all)."""
    return http.post(
        url,
        content=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


def _rows(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _assert_refused(response: Any, value: Any) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if isinstance(value, str) and len(value) > 3:
        assert value not in response.text


FREE_TEXT = {"name": 200, "number": 64, "source": 64}


def _valid(value: Any, field: str) -> bool:
    """The nasty values that are in fact acceptable: an open end, and printable free text
    (a name may look like SQL: it is stored as given, through bound parameters)."""
    if field in ("end_date", "end_month", "source") and value is None:
        return True
    return (
        field in FREE_TEXT and isinstance(value, str) and value.isprintable()
        and 0 < len(value.strip()) <= FREE_TEXT[field]
    )  # fmt: skip


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_holder_fields(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, value: Any
) -> None:
    stored = 0
    for field in HOLDER_FIELDS + PERMIT_FIELDS:
        body = holder_body()
        (body["permit"] if field in PERMIT_FIELDS else body)[field] = value
        response = post_json(http, "/v1/holders", body, auth)
        if _valid(value, field):
            assert response.status_code == 201
            read = http.get(f"/v1/holders/{response.json()['id']}", headers=auth).json()
            assert (read["permit"] if field in PERMIT_FIELDS else read)[field] == value.strip()
            stored += 1
        else:
            _assert_refused(response, value)
    assert _rows(engine, Holder) == stored


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_record_fields(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, new_holder: Any, value: Any
) -> None:
    holder = new_holder()
    stored = 0
    for path, fields, base in [
        ("residence-periods", PERIOD_FIELDS, {"district": "441702", "start_date": "2020-01-01"}),
        (
            "insurance-periods",
            INSURANCE_FIELDS,
            {"district": "441702", "type": "pension", "start_month": "2020-01"},
        ),
    ]:
        for field in fields:
            response = post_json(
                http, f"/v1/holders/{holder['id']}/{path}", {**base, field: value}, auth
            )
            if _valid(value, field):
                assert response.status_code == 201
                stored += path == "residence-periods"
            else:
                _assert_refused(response, value)
    assert _rows(engine, ResidencePeriod) == stored


@pytest.mark.parametrize(
    "path",
    ["/v1/holders/..%2F..%2Fetc%2Fpasswd", "/v1/holders/' OR 1=1 --", "/v1/holders/%00", "/v1/jurisdictions/441700%27/ranking",
     "/v1/policies/..%2F..", "/v1/assessments/%3Cscript%3E"],
)  # fmt: skip
def test_path_injection_is_404(http: TestClient, auth: dict[str, str], path: str) -> None:
    response = http.get(path, headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params",
    [{"district": "' OR 1=1 --"}, {"jurisdiction": "441700; DROP TABLE holders"}, {"limit": "1e9"},
     {"limit": "-1"}, {"cursor": "' OR 1=1"}, {"permit_status": "active' --"}],
)  # fmt: skip
def test_query_injection_is_422(
    http: TestClient, auth: dict[str, str], params: dict[str, str], new_holder: Any
) -> None:
    new_holder()
    response = http.get("/v1/holders", params=params, headers=auth)
    assert response.status_code == 422
    assert next(iter(params)) in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    "body", [b"\xc3\x28", b'{"name": "\xff"}', b"\x00" * 10, b"[" * 10_000, b'{"a":' * 5000]
)
def test_unparseable_bodies_are_400(http: TestClient, auth: dict[str, str], body: bytes) -> None:
    response = http.post(
        "/v1/holders", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_body_over_the_limit_is_413_before_authentication(http: TestClient) -> None:
    response = http.post(
        "/v1/holders",
        content=b"{" + b" " * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_chunked_body_over_the_limit_is_413(http: TestClient, auth: dict[str, str]) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b" " * 65536

    response = http.post(
        "/v1/holders", content=chunks(), headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_list_limit_is_bounded(http: TestClient, auth: dict[str, str]) -> None:
    assert http.get("/v1/holders", params={"limit": 500}, headers=auth).status_code == 200
    assert http.get("/v1/holders", params={"limit": 501}, headers=auth).status_code == 422
