"""Bad input of every kind gets a 4xx problem naming the field, and nothing is written (SPEC §4)."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.register.models import Adjustment, Holder, InsurancePeriod, ResidencePeriod
from tests.conftest import holder_body, today
from tests.ids import make_id_number

TOMORROW = (today() + timedelta(days=1)).isoformat()
NEXT_MONTH = f"{today().year + (today().month == 12)}-{today().month % 12 + 1:02d}"


def _count(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _with_checksum_broken(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


HOLDER_CASES = [
    ({"id_number": _with_checksum_broken(make_id_number())}, "id_number"),
    ({"id_number": make_id_number()[:17]}, "id_number"),
    ({"id_number": "99" + make_id_number()[2:]}, "id_number"),  # no such province
    ({"id_number": "441702199002300010"}, "id_number"),  # 1990-02-30, check character right
    ({"id_number": "441702179912310017"}, "id_number"),  # born before 1800, check character right
    ({"jurisdiction": "44170"}, "jurisdiction"),
    ({"jurisdiction": "999999"}, "jurisdiction"),  # unknown
    ({"jurisdiction": 441700}, "jurisdiction"),  # a number, not text
    ({"name": ""}, "name"),
    ({"permit": {"number": "P", "issued_on": "2020-01-01", "valid_until": "2019-12-31", "status": "active"}},
     "permit.valid_until"),
    ({"permit": {"number": "P", "issued_on": TOMORROW, "valid_until": "2999-01-01", "status": "active"}},
     "permit.issued_on"),
    ({"permit": {"number": "P", "issued_on": "2023-02-30", "valid_until": "2024-01-01", "status": "active"}},
     "permit.issued_on"),
    ({"permit": {"number": "P", "issued_on": "2020-01-01", "valid_until": "2024-01-01", "status": "lost"}},
     "permit.status"),
    ({"permit": {"number": "P", "issued_on": "2020-01-01", "valid_until": "2024-01-01"}}, "permit.status"),
    ({"id": "6f1c0b52-9a4e-4f0b-8f5e-2d7f3c1a9b10"}, "id"),  # unknown keys refused
    ({"nickname": "x"}, "nickname"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field"), HOLDER_CASES)
def test_bad_holder_refused(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, change: dict[str, Any], field: str
) -> None:
    body = {**holder_body(), **change}
    response = http.post("/v1/holders", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert body["id_number"] not in response.text
    assert _count(engine, Holder) == 0


RECORD_CASES = [
    ("residence-periods", {"district": "441799", "start_date": "2020-01-01"}, "district"),  # not a district
    ("residence-periods", {"district": "991702", "start_date": "2020-01-01"}, "district"),  # no province 99
    ("residence-periods", {"district": "4417021", "start_date": "2020-01-01"}, "district"),
    ("residence-periods", {"district": "441702", "start_date": "2020-01-01", "end_date": "2020-01-01"}, "end_date"),
    ("residence-periods", {"district": "441702", "start_date": TOMORROW}, "start_date"),
    ("residence-periods", {"district": "441702", "start_date": "2023-02-30"}, "start_date"),
    ("residence-periods", {"district": "441702", "start_date": "2020-01-01", "housing": "palace"}, "housing"),
    ("residence-periods", {"district": "441702"}, "start_date"),
    ("residence-periods", {"district": "441702", "start_date": "2020-01-01", "source": "x" * 65}, "source"),
    ("residence-periods", {"district": "441702", "start_date": "2020-01-01", "id": "x"}, "id"),
    ("insurance-periods", {"district": "441702", "type": "dental", "start_month": "2020-01"}, "type"),
    ("insurance-periods", {"district": "441702", "type": "pension", "start_month": "2023-13"}, "start_month"),
    ("insurance-periods", {"district": "441702", "type": "pension", "start_month": "2020-01-01"}, "start_month"),
    ("insurance-periods", {"district": "441702", "type": "pension", "start_month": NEXT_MONTH}, "start_month"),
    ("insurance-periods", {"district": "441702", "type": "pension", "start_month": "2020-05", "end_month": "2020-04"},
     "end_month"),
    ("insurance-periods", {"district": "441799", "type": "pension", "start_month": "2020-05"}, "district"),
    ("adjustments", {"code": "college_degree", "effective_from": "2020-01-01", "effective_to": "2020-01-01"},
     "effective_to"),
    ("adjustments", {"code": "", "effective_from": "2020-01-01"}, "code"),
    ("adjustments", {"code": "college_degree", "effective_from": "2020-01-01", "note": "x" * 501}, "note"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field"), RECORD_CASES)
def test_bad_record_refused(
    http: TestClient,
    auth: dict[str, str],
    engine: sa.Engine,
    new_holder: Any,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    holder = new_holder()
    response = http.post(f"/v1/holders/{holder['id']}/{path}", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    for model in (ResidencePeriod, InsurancePeriod, Adjustment):
        assert _count(engine, model) == 0


def test_several_bad_fields_named_together(
    http: TestClient, auth: dict[str, str], new_holder: Any
) -> None:
    holder = new_holder()
    response = http.post(
        f"/v1/holders/{holder['id']}/residence-periods",
        json={"district": "441799", "start_date": TOMORROW, "end_date": "2000-01-01"},
        headers=auth,
    )
    assert {e["field"] for e in response.json()["errors"]} == {"district", "start_date", "end_date"}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"jurisdiction": ', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),  # not UTF-8
        (b"[]", "application/json", 422),
        (b"jurisdiction=441700", "application/x-www-form-urlencoded", 415),
    ],
)
def test_unparseable_bodies(
    http: TestClient, auth: dict[str, str], content: bytes, content_type: str, status: int
) -> None:
    response = http.post(
        "/v1/holders", content=content, headers={**auth, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_framework_errors_are_problems(http: TestClient, auth: dict[str, str]) -> None:
    for response, status in [
        (http.get("/v1/nothing-here", headers=auth), 404),
        (http.put("/v1/holders", headers=auth), 405),
        (http.get("/v1/holders", params={"permit_status": "lost"}, headers=auth), 422),
    ]:
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("accept_language", "detail", "message"),
    [
        (None, "输入无效：end_date。", "必须晚于 start_date。"),
        ("zh-CN", "输入无效：end_date。", "必须晚于 start_date。"),
        ("en", "Invalid input: end_date.", "Must be after start_date."),
        ("fr, en;q=0.8, zh;q=0.5", "Invalid input: end_date.", "Must be after start_date."),
        ("en;q=0.3, zh-TW;q=0.9", "输入无效：end_date。", "必须晚于 start_date。"),
    ],
)
def test_details_in_chinese_unless_english_is_preferred(
    http: TestClient,
    auth: dict[str, str],
    new_holder: Any,
    accept_language: str | None,
    detail: str,
    message: str,
) -> None:
    holder = new_holder()
    headers = {**auth, **({"Accept-Language": accept_language} if accept_language else {})}
    response = http.post(
        f"/v1/holders/{holder['id']}/residence-periods",
        json={"district": "441702", "start_date": "2020-01-01", "end_date": "2019-01-01"},
        headers=headers,
    )
    assert response.json()["detail"] == detail
    assert response.json()["errors"] == [{"field": "end_date", "message": message}]


def test_framework_messages_are_translated_too(http: TestClient, auth: dict[str, str]) -> None:
    response = http.post("/v1/holders", json={"nickname": "x"}, headers=auth)
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["nickname"] == "未知字段。"
    assert messages["jurisdiction"] == "必填字段。"
