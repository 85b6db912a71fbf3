"""Chenzhou (431000@2016-01-06) over HTTP: townships decide settlement, 四(二) decides services.

Expected levels are worked by hand from 郴政发〔2016〕1号:
- 三(一) the central city is the subdistricts (街道) of Beihu 431002 and Suxian 431003: a home
  there settles with stable work and local urban social insurance (any type; 6 months chosen),
  or as family living with such a person;
- 三(二) Zixing's city proper, the county seats and every town (建制镇), Beihu's and Suxian's
  included: a home is enough; a 乡 (township) or another township-level unit is not a town;
- 四(二) basic education, basic health and family planning at once (tier 1, no points);
  secondary vocational education and housing security step by step (points; 10/20/40 chosen);
- 六(三) basic health for every resident, permit or not.
Shipped points: residence 2 a full year (cap 20), insurance of any type 3 a full year (cap 45).
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import levels, read_score, store_holder

AS_OF = "2026-01-01"  # the holders' permits run from 2020-01-01 to 2026-12-31
DOCUMENT = "郴州市人民政府关于进一步推进户籍制度改革的实施意见"
ALL_DISTRICTS = [
    "431002", "431003", "431021", "431022", "431023", "431024", "431025", "431026", "431027",
    "431028", "431081",
]  # fmt: skip
COUNTIES_AND_ZIXING = ALL_DISTRICTS[2:]
DOMAINS = ["education", "healthcare", "housing", "settlement"]
AT_ONCE = {"education", "healthcare"}
STEP_BY_STEP = {"education", "housing"}


def _holder(
    http: TestClient,
    auth: dict[str, str],
    residence: list[dict[str, Any]] | None = None,
    insurance: list[dict[str, Any]] | None = None,
    adjustments: list[dict[str, Any]] | None = None,
    **permit: Any,
) -> str:
    records = {"residence_periods": residence or [], "insurance_periods": insurance or [],
               "adjustments": adjustments or []}  # fmt: skip
    return store_holder(http, auth, records, jurisdiction="431000", **permit)


def _score(http: TestClient, auth: dict[str, str], holder_id: str) -> dict[str, Any]:
    return read_score(http, auth, holder_id, AS_OF, "431000@2016-01-06")


def _home(township: str | None, start_date: str = "2025-09-01") -> dict[str, Any]:
    district = township[:6] if township else "431021"
    period = {"district": district, "start_date": start_date, "housing": "rented"}
    if township:
        period["township"] = township
    return period


def _pension(district: str, start_month: str) -> dict[str, Any]:
    return {"district": district, "type": "pension", "start_month": start_month}


@pytest.mark.parametrize(
    ("township", "insurance_from", "settles"),
    [
        # 三(一) central city = Beihu's and Suxian's subdistricts: home + work + insurance
        ("431002001", None, 0),  # a home alone is not enough
        ("431002001", "2025-08", 0),  # 5 months of insurance (2025-08..12)
        ("431002001", "2025-07", 1),  # 6 months
        ("431003004", "2025-07", 1),
        # 三(二) towns inside Beihu and Suxian are towns: a home is enough
        ("431002101", None, 1),
        ("431003103", None, 1),
        # a 乡 or another unit inside Beihu or Suxian is neither, insurance or not
        ("431002201", "2024-01", 0),
        ("431003401", "2024-01", 0),
        # 三(二) Zixing's city proper, county seats and other towns: a home is enough
        ("431081001", None, 1),
        ("431081102", None, 1),
        ("431021101", None, 1),
        ("431024102", None, 1),
        ("431028001", None, 1),  # a county's subdistrict: its seat's urban area
        # 建制镇 excludes 乡: no settlement in a county's township, even with insurance
        ("431022201", "2024-01", 0),
        ("431081203", None, 0),
        # a home whose township is not recorded meets no area rule
        (None, "2024-01", 0),
    ],
)
def test_settlement_follows_the_township(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    township: str | None,
    insurance_from: str | None,
    settles: int,
) -> None:
    home = _home(township)
    insurance = [_pension(home["district"], insurance_from)] if insurance_from else []
    holder_id = _holder(http, auth, [home], insurance)
    assert levels(_score(http, auth, holder_id))["settlement"] == settles


def test_medical_insurance_counts_as_urban_social_insurance(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    medical = {"district": "431003", "type": "medical", "start_month": "2025-07"}
    holder_id = _holder(http, auth, [_home("431003002")], [medical])
    score = _score(http, auth, holder_id)
    assert score["components"][1]["months"] == 6
    assert levels(score)["settlement"] == 1


def test_family_living_with_a_settler_settles_in_the_central_city(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    family = [{"code": "family_of_settler", "effective_from": "2025-09-01"}]
    in_subdistrict = _holder(http, auth, [_home("431002003")], adjustments=family)
    in_township = _holder(http, auth, [_home("431002202")], adjustments=family)
    score = _score(http, auth, in_subdistrict)
    assert levels(score)["settlement"] == 1
    items = score["components"][2]["items"]
    assert items == [
        {
            "code": "family_of_settler",
            "points": 0,
            "reference": {"document": DOCUMENT, "clause": "三(一)、三(二)", "basis": "stated"},
        }
    ]
    assert score["total_points"] == 0
    assert levels(_score(http, auth, in_township))["settlement"] == 0


def test_what_a_township_holder_is_missing_to_settle(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    holder_id = _holder(http, auth, [_home("431002201")])
    settlement = _score(http, auth, holder_id)["entitlements"][3]
    assert settlement["domain"] == "settlement"
    assert settlement["level"] == 0
    assert settlement["next"]["missing"] == {
        "any_of": [
            {"area_kinds": ["subdistrict"], "insurance_months": 6},
            {"area_kinds": ["subdistrict"], "adjustments": ["family_of_settler"]},
            {"district": {"in": COUNTIES_AND_ZIXING}, "area_kinds": ["subdistrict"]},
            {"area_kinds": ["town"]},
        ]
    }
    # Nothing recorded will change that: no insurance, a 乡 stays a 乡.
    assert settlement["next"]["projected_on"] is None


def test_services_at_once_are_tier_one_without_points(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    holder_id = _holder(http, auth, [_home("431002001")])
    score = _score(http, auth, holder_id)
    assert score["total_points"] == 0
    assert [e["domain"] for e in score["entitlements"]] == DOMAINS
    assert levels(score) == {"education": 1, "healthcare": 1, "housing": 0, "settlement": 0}
    for entitlement in score["entitlements"]:
        if entitlement["domain"] in AT_ONCE:
            reference = entitlement["tier"]["reference"]
            assert reference["clause"] in {"四(二)", "四(二)、六(三)"}
            assert reference["basis"] == "stated"
    # The first step-by-step tier, secondary vocational education, is 10 points away (chosen).
    education = score["entitlements"][0]
    assert education["next"]["code"] == "secondary_vocational_education"
    assert education["next"]["missing"] == {"points": 10}
    assert score["entitlements"][2]["next"]["missing"] == {"points": 20}


def test_ten_years_here_stand_higher_than_a_new_holder(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    new = _holder(http, auth, [_home("431003002", "2025-12-01")])
    veteran = _holder(
        http,
        auth,
        [_home("431003002", "2016-01-01")],
        [_pension("431003", "2016-01")],
    )
    new_score, veteran_score = _score(http, auth, new), _score(http, auth, veteran)
    assert veteran_score["total_points"] == 20 + 30
    new_levels, veteran_levels = levels(new_score), levels(veteran_score)
    assert veteran_levels == {"education": 2, "healthcare": 1, "housing": 2, "settlement": 1}
    for domain in STEP_BY_STEP:
        assert veteran_levels[domain] > new_levels[domain], domain
    # Every tier a holder reaches by points has a chosen threshold, and says so; so does the
    # settlement tier (its 6 months of insurance are chosen).
    for entitlement in veteran_score["entitlements"]:
        expected = "stated" if entitlement["domain"] == "healthcare" else "chosen"
        assert entitlement["tier"]["reference"]["basis"] == expected, entitlement["domain"]
    residence, insurance = veteran_score["components"][:2]
    for component in (residence, insurance):
        assert component["reference"] == {
            "document": DOCUMENT,
            "clause": "四(二)",
            "basis": "chosen",
        }
    assert (residence["months"], residence["points"], residence["cap"]) == (120, 20, 20)
    assert (insurance["months"], insurance["points"], insurance["cap"]) == (120, 30, 45)


@pytest.mark.parametrize(
    ("residence_from", "insurance_from", "points", "expected"),
    [
        # full years to 2026-01-01: residence 2 points each, insurance 3 points each
        ("2023-01-01", "2025-01", 6 + 3, {"education": 1, "housing": 0}),
        ("2024-01-01", "2024-01", 4 + 6, {"education": 2, "housing": 0}),
        ("2024-01-01", "2021-01", 4 + 15, {"education": 2, "housing": 0}),
        ("2016-01-01", None, 20, {"education": 2, "housing": 1}),
        ("2023-01-01", "2015-01", 6 + 33, {"education": 2, "housing": 1}),
        ("2021-01-01", "2016-01", 10 + 30, {"education": 2, "housing": 2}),
    ],
)
def test_step_by_step_thresholds(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    residence_from: str,
    insurance_from: str | None,
    points: int,
    expected: dict[str, int],
) -> None:
    insurance = [_pension("431025", insurance_from)] if insurance_from else []
    holder_id = _holder(http, auth, [_home("431025101", residence_from)], insurance)
    score = _score(http, auth, holder_id)
    assert score["total_points"] == points
    assert {d: levels(score)[d] for d in expected} == expected


def test_basic_health_reaches_residents_without_a_valid_permit(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    suspended = _holder(http, auth, [_home("431003102")], status="suspended")
    score = _score(http, auth, suspended)
    assert score["permit_valid"] is False
    assert levels(score) == {"education": 0, "healthcare": 1, "housing": 0, "settlement": 1}
    # With no home in the city either, basic health is closed too.
    nowhere = _holder(http, auth, status="suspended")
    health = _score(http, auth, nowhere)["entitlements"][1]
    assert health["level"] == 0
    assert health["next"]["missing"] == {
        "any_of": [{"valid_permit": True}, {"district": {"in": ALL_DISTRICTS}}]
    }


@pytest.mark.parametrize(
    "code", ["college_degree", "skilled_worker", "honour_title", "false_materials"]
)
def test_no_bonus_or_deduction_the_document_never_grants(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    code: str,
) -> None:
    holder_id = _holder(http, auth)
    response = http.post(
        f"/v1/holders/{holder_id}/adjustments",
        json={"code": code, "effective_from": "2025-01-01"},
        headers=auth,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["code"]
