"""Qingyang 621000@2022-04-02 over HTTP: 庆政办发〔2022〕44号 read clause by clause.

Expected levels are worked by hand from the document's words:
- 二(一)1 opens a home (rented counts) in "西峰城区、各县政府驻地镇及建制镇": a subdistrict (街道)
  of Xifeng, or a town (镇) in any district; county seats are towns (驻地镇). No 乡.
- 二(一)2 opens stable work with no home named: 6 months in the latest continuous run of
  insurance paid in the city (chosen).
- 二(一)3–6: kin of urban residents, fresh (应届) graduates working here (settle first, work
  after), transferred staff, introduced talent, Longyuan card holders, veterans.
- 二(二)2 gives permit holders basic education and health at once; 二(五)4 guarantees equal
  education to non-registered residents' children, permit or not.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import levels, read_score

POLICY = "621000@2022-04-02"
DOCUMENT = "庆阳市人民政府办公室关于加快户籍人口城镇化工作的实施意见"
AS_OF = "2024-06-01"  # inside the default permit of tests.conftest (2020-01-01 to 2026-12-31)
ALL_DISTRICTS = ["621002", "621021", "621022", "621023", "621024", "621025", "621026", "621027"]


def _holder(new_holder: Any, **permit: Any) -> str:
    holder_id: str = new_holder(jurisdiction="621000", **permit)["id"]
    return holder_id


def _post(http: TestClient, auth: dict[str, str], holder_id: str, kind: str, record: Any) -> None:
    response = http.post(f"/v1/holders/{holder_id}/{kind}", json=record, headers=auth)
    assert response.status_code == 201, response.text


def _home(
    http: TestClient, auth: dict[str, str], holder_id: str, district: str, township: str | None
) -> None:
    record = {"district": district, "start_date": "2023-03-01", "housing": "rented"}
    if township is not None:
        record["township"] = township
    _post(http, auth, holder_id, "residence-periods", record)


def _score(http: TestClient, auth: dict[str, str], holder_id: str) -> dict[str, Any]:
    return read_score(http, auth, holder_id, AS_OF, POLICY)


def _settlement(score: dict[str, Any]) -> dict[str, Any]:
    entitlement: dict[str, Any] = score["entitlements"][3]
    assert entitlement["domain"] == "settlement"
    return entitlement


@pytest.mark.parametrize(
    ("district", "township", "settles"),
    [
        ("621002", "621002001", 1),  # a subdistrict of Xifeng: 西峰城区
        ("621002", "621002101", 1),  # a town inside Xifeng: 建制镇
        ("621021", "621021100", 1),  # a town of Qingcheng: county seats are towns (驻地镇)
        ("621025", "621025103", 1),  # a town of Zhengning: 建制镇
        ("621021", "621021201", 0),  # a 乡 of Qingcheng: not named
        ("621023", "621023301", 0),  # a 乡 (ethnic or not) of Huachi: not named
        ("621026", "621026001", 0),  # a subdistrict outside Xifeng: neither place named
        ("621002", "621002400", 0),  # another township-level unit: not named
        ("621002", None, 0),  # not recorded: meets no rule asking for a kind
    ],
)
def test_the_home_path_follows_the_places_the_document_names(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    new_holder: Any,
    district: str,
    township: str | None,
    settles: int,
) -> None:
    holder_id = _holder(new_holder)
    _home(http, auth, holder_id, district, township)
    score = _score(http, auth, holder_id)
    assert levels(score) == {"education": 1, "healthcare": 1, "housing": 0, "settlement": settles}


def test_a_home_in_a_xiang_shows_every_path_it_could_take(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], new_holder: Any
) -> None:
    holder_id = _holder(new_holder)
    _home(http, auth, holder_id, "621021", "621021201")
    settlement = _settlement(_score(http, auth, holder_id))
    assert settlement["level"] == 0
    assert settlement["next"]["missing"] == {
        "any_of": [
            {"district": {"in": ["621002"]}, "area_kinds": ["subdistrict"]},
            {"area_kinds": ["town"]},
            {"insurance_months": 6},
            {"adjustments": ["kin_of_resident"]},
            {"adjustments": ["fresh_graduate"]},
            {"adjustments": ["transferred_staff", "introduced_talent", "longyuan_talent_card"]},
            {"adjustments": ["veteran"]},
        ]
    }
    assert settlement["next"]["projected_on"] is None  # nothing recorded will change it


def test_a_home_with_no_township_is_short_of_its_kind_only(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], new_holder: Any
) -> None:
    holder_id = _holder(new_holder)
    _home(http, auth, holder_id, "621002", None)
    missing = _settlement(_score(http, auth, holder_id))["next"]["missing"]
    assert missing["any_of"][:2] == [{"area_kinds": ["subdistrict"]}, {"area_kinds": ["town"]}]


@pytest.mark.parametrize(
    ("start_month", "end_month", "months", "settles", "projected_on"),
    [
        ("2023-12", None, 6, 1, None),  # exactly 6 months of work now
        ("2024-01", None, 5, 0, "2024-07-01"),  # the sixth month ends in June
        ("2023-09", "2024-02", 6, 1, None),  # stopped 3 months before May: still work now
        ("2023-08", "2024-01", 0, 0, None),  # stopped 4 months before May: no work now
    ],
)
def test_a_xiang_home_with_stable_work_settles_where_one_works(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    new_holder: Any,
    start_month: str,
    end_month: str | None,
    months: int,
    settles: int,
    projected_on: str | None,
) -> None:
    holder_id = _holder(new_holder)
    _home(http, auth, holder_id, "621021", "621021201")
    period = {"district": "621021", "type": "pension", "start_month": start_month}
    if end_month:
        period["end_month"] = end_month
    _post(http, auth, holder_id, "insurance-periods", period)
    score = _score(http, auth, holder_id)
    assert score["components"][1]["months"] == months
    assert score["components"][1]["points"] == 0  # insurance earns no points here
    settlement = _settlement(score)
    assert settlement["level"] == settles
    if not settles:
        assert settlement["next"]["projected_on"] == projected_on


@pytest.mark.parametrize(
    ("code", "effective_to", "settles"),
    [
        ("kin_of_resident", None, 1),
        ("fresh_graduate", "2024-07-01", 1),  # 应届, no insurance yet: settle first, work after
        ("fresh_graduate", "2024-06-01", 0),  # no longer 应届 on as_of
        ("transferred_staff", None, 1),
        ("introduced_talent", None, 1),
        ("longyuan_talent_card", "2024-06-02", 1),  # the card is valid on as_of
        ("longyuan_talent_card", "2024-06-01", 0),  # expired the day before
        ("veteran", None, 1),
    ],
)
def test_qualifications_settle_with_their_own_conditions(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    new_holder: Any,
    code: str,
    effective_to: str | None,
    settles: int,
) -> None:
    holder_id = _holder(new_holder)
    record = {"code": code, "effective_from": "2023-07-01", "effective_to": effective_to}
    _post(http, auth, holder_id, "adjustments", record)
    score = _score(http, auth, holder_id)
    assert score["total_points"] == 0
    assert levels(score) == {"education": 1, "healthcare": 1, "housing": 0, "settlement": settles}


def test_the_old_catch_all_graduate_code_is_not_in_the_catalogue(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], new_holder: Any
) -> None:
    holder_id = _holder(new_holder)
    response = http.post(
        f"/v1/holders/{holder_id}/adjustments",
        json={"code": "college_graduate", "effective_from": "2023-07-01"},
        headers=auth,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["code"]


def test_education_is_guaranteed_without_a_permit_to_residents(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], new_holder: Any
) -> None:
    # 二(五)4: equal education for non-registered residents' children; 二(二)2's other
    # services need a valid permit; settlement never does.
    living_here = _holder(new_holder, status="suspended")
    _home(http, auth, living_here, "621022", "621022100")
    assert levels(_score(http, auth, living_here)) == {
        "education": 1, "healthcare": 0, "housing": 0, "settlement": 1,
    }  # fmt: skip
    moved_away = _holder(new_holder, status="suspended")
    _post(http, auth, moved_away, "residence-periods",
          {"district": "621022", "township": "621022100", "start_date": "2023-03-01",
           "end_date": "2024-05-01"})  # fmt: skip
    score = _score(http, auth, moved_away)
    assert levels(score) == {"education": 0, "healthcare": 0, "housing": 0, "settlement": 0}
    assert score["entitlements"][0]["next"]["missing"] == {
        "any_of": [{"valid_permit": True}, {"district": {"in": ALL_DISTRICTS}}]
    }


def test_ten_years_here_moves_no_tier_and_earns_residence_points_only(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], new_holder: Any
) -> None:
    holder_id = _holder(new_holder)
    _post(http, auth, holder_id, "residence-periods",
          {"district": "621002", "township": "621002001", "start_date": "2014-06-01"})  # fmt: skip
    for kind in ("pension", "medical"):
        _post(http, auth, holder_id, "insurance-periods",
              {"district": "621002", "type": kind, "start_month": "2014-06"})  # fmt: skip
    score = _score(http, auth, holder_id)
    assert [(c["months"], c["points"]) for c in score["components"][:2]] == [(120, 20), (120, 0)]
    assert score["total_points"] == 20
    assert levels(score) == {"education": 1, "healthcare": 1, "housing": 0, "settlement": 1}


def test_every_number_shown_carries_its_basis(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], new_holder: Any
) -> None:
    holder_id = _holder(new_holder)
    _home(http, auth, holder_id, "621002", "621002001")
    for code in ("kin_of_resident", "fresh_graduate", "veteran"):
        _post(http, auth, holder_id, "adjustments", {"code": code, "effective_from": "2023-07-01"})
    score = _score(http, auth, holder_id)
    residence, insurance, adjustments = score["components"]
    assert residence["reference"] == {"document": DOCUMENT, "clause": "二(二)2", "basis": "chosen"}
    assert insurance["reference"] == {"document": DOCUMENT, "clause": "二(一)2", "basis": "chosen"}
    assert [(i["code"], i["points"], i["reference"]["clause"], i["reference"]["basis"])
            for i in adjustments["items"]] == [
        ("kin_of_resident", 0, "二(一)3", "stated"),
        ("fresh_graduate", 0, "二(一)4", "stated"),
        ("veteran", 0, "二(一)6", "stated"),
    ]  # fmt: skip
    tiers = {e["domain"]: e.get("tier") for e in score["entitlements"]}
    assert tiers["education"]["reference"]["basis"] == "stated"
    assert tiers["education"]["reference"]["clause"] == "二(二)2、二(五)4"
    assert tiers["healthcare"]["reference"]["basis"] == "stated"
    assert tiers["housing"] is None
    # The settlement tier holds one chosen number: the 6 months of stable work of 二(一)2.
    assert tiers["settlement"]["reference"] == {
        "document": DOCUMENT, "clause": "二(一)1至6", "basis": "chosen",
    }  # fmt: skip


def test_the_served_policy_has_no_points_gate_and_no_unfounded_adjustment(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    policy = http.get(f"/v1/policies/{POLICY}", headers=auth).json()
    assert [a["code"] for a in policy["adjustments"]] == [
        "kin_of_resident", "fresh_graduate", "transferred_staff", "introduced_talent",
        "longyuan_talent_card", "veteran",
    ]  # fmt: skip
    for adjustment in policy["adjustments"]:
        assert adjustment["points"] == 0
        assert adjustment["reference"]["basis"] == "stated"
    assert "应届" in policy["adjustments"][1]["name"]["zh"]
    assert "在本市就业" in policy["adjustments"][1]["name"]["zh"]
    for tiers in policy["domains"].values():
        for tier in tiers:
            assert "min_points" not in str(tier["requires"])  # "zero threshold"
            assert tier["reference"]["basis"] in ("stated", "chosen")
    assert policy["indicators"]["insurance"]["points_per_year"] == 0
