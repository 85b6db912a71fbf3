"""Bulk imports of NDJSON (SPEC §7): line by line, all of a line or none of it."""

import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.register.models import Holder, InsurancePeriod, ResidencePeriod
from tests.conftest import holder_body
from tests.ids import make_id_number

NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(*lines: Any) -> bytes:
    return "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    ).encode()


def _rows(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_a_batch_stores_good_lines_and_reports_bad_ones(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, new_holder: Any
) -> None:
    number, earlier = make_id_number(), make_id_number()
    http.post("/v1/holders", json=holder_body(id_number=earlier), headers=auth)
    ref = {"jurisdiction": "441700", "id_number": number}
    body = ndjson(
        {"kind": "holder", "holder": holder_body(id_number=number)},                                   # 1 stored
        {"kind": "residence_period", "holder": ref, "record": {"district": "441702", "start_date": "2020-01-01"}},  # 2
        "",                                                                                              # 3 blank
        {"kind": "insurance_period", "holder": ref, "record": {"district": "441702", "type": "pension",
                                                               "start_month": "2020-13"}},               # 4 bad month
        {"kind": "residence_period", "holder": {"jurisdiction": "441700", "id_number": make_id_number()},
         "record": {"district": "441702", "start_date": "2020-01-01"}},                                  # 5 no holder
        "{not json",                                                                                     # 6
        {"kind": "pet", "holder": ref},                                                                  # 7 bad kind
        {"kind": "holder", "holder": holder_body(id_number=number)},                                     # 8 registered
        {"kind": "adjustment", "holder": {"jurisdiction": "441700", "id_number": earlier},
         "record": {"code": "college_degree", "effective_from": "2020-01-01"}},                         # 9 earlier holder
        {"kind": "residence_period", "holder": ref, "record": {"district": "441799", "start_date": "2999-01-01"}},  # 10
    )  # fmt: skip
    response = http.post("/v1/imports", content=body, headers={**auth, **NDJSON})
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["lines"] == 9 and report["stored"] == 3
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (4, "record.start_month"), (5, "holder"), (6, "line"), (7, "kind"), (8, "holder.id_number"),
        (10, "record.district"), (10, "record.start_date"),
    ]  # fmt: skip
    assert number not in response.text and "441799" not in response.text
    assert _rows(engine, Holder) == 2 and _rows(engine, ResidencePeriod) == 1
    again = http.get(response.headers["location"], headers=auth)
    assert again.status_code == 200 and again.json() == report


def test_a_record_line_needs_its_holder_before_it(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    number = make_id_number()
    ref = {"jurisdiction": "441700", "id_number": number}
    body = ndjson(
        {"kind": "insurance_period", "holder": ref, "record": {"district": "441702", "type": "medical", "start_month": "2020-01"}},
        {"kind": "holder", "holder": holder_body(id_number=number)},
        {"kind": "insurance_period", "holder": ref, "record": {"district": "441702", "type": "medical", "start_month": "2020-01"}},
    )  # fmt: skip
    report = http.post("/v1/imports", content=body, headers={**auth, **NDJSON}).json()
    assert report["stored"] == 2
    assert [r["line"] for r in report["rejected"]] == [1]
    assert _rows(engine, InsurancePeriod) == 1


def test_jurisdictions_not_held(
    http: TestClient, make_key: Any, auth: dict[str, str], new_holder: Any
) -> None:
    elsewhere = make_id_number()
    http.post("/v1/holders", json=holder_body("621000", id_number=elsewhere), headers=auth)
    key = make_key(["holders:write"], ["441700"])
    body = ndjson(
        {"kind": "holder", "holder": holder_body("621000")},
        {"kind": "residence_period", "holder": {"jurisdiction": "621000", "id_number": elsewhere},
         "record": {"district": "621002", "start_date": "2020-01-01"}},
    )  # fmt: skip
    report = http.post("/v1/imports", content=body, headers={**key, **NDJSON}).json()
    assert report["stored"] == 0
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (1, "holder.jurisdiction"),
        (2, "holder"),
    ]


def test_the_batch_key_replays_the_first_report(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    body = ndjson({"kind": "holder", "holder": holder_body()})
    headers = {**auth, **NDJSON, "Idempotency-Key": "nightly-2026-11-24"}
    first = http.post("/v1/imports", content=body, headers=headers)
    retry = http.post("/v1/imports", content=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    assert _rows(engine, Holder) == 1
    other = http.post("/v1/imports", content=body + b"\n", headers=headers)
    assert other.status_code == 422


def test_reports_belong_to_their_client(
    http: TestClient, auth: dict[str, str], make_key: Any
) -> None:
    created = http.post(
        "/v1/imports",
        content=ndjson({"kind": "holder", "holder": holder_body()}),
        headers={**auth, **NDJSON},
    )
    assert http.get(created.headers["location"], headers=make_key()).status_code == 404
    assert http.get("/v1/imports/not-an-id", headers=auth).status_code == 404


def test_imports_take_ndjson_only(http: TestClient, auth: dict[str, str]) -> None:
    response = http.post("/v1/imports", json={"kind": "holder"}, headers=auth)
    assert response.status_code == 415
