"""Zibo (370300@2021-12-29, 淄政发〔2021〕9号) over HTTP: holders with townships, stored and scored.

The expected levels are worked by hand from the document's words, not from the engine:
- 二(四)、二(五) open settlement to whoever lives or works in 城镇, with no other precondition:
  城镇 is a subdistrict (街道, 001-099) or a town (镇, 100-199) of any district; a 乡 (200-399),
  another unit (400-999) or a home with no township recorded is not shown to be 城镇.
- Own home and rented home (owner's consent, no household there) are paths in 城镇 too; kin in
  城镇 (二(四)), kin in a rural area (三(六)), work (1 month of insurance, chosen) and talent need
  no home. Settlement needs no permit.
- 五(十): education, health care and housing security come with a valid permit at once: one
  tier each, no points or years, so a ten-year holder stands where a new holder does.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import levels, read_score, store_holder

AS_OF = "2023-01-01"
DOCUMENT = "关于进一步深化户籍管理制度改革促进城乡融合区域协调发展的意见（淄政发〔2021〕9号）"
URBAN = ["subdistrict", "town"]

SUBDISTRICT_ZHANGDIAN = "370303001"
TOWN_ZICHUAN = "370302101"
TOWN_LINZI = "370305102"
TOWN_GAOQING = "370322101"
XIANG_YIYUAN = "370323201"
OTHER_ZHANGDIAN = "370303400"


def home(district: str, township: str | None, housing: str, start: str = "2022-06-01") -> dict:
    period = {"district": district, "start_date": start, "housing": housing}
    if township is not None:
        period["township"] = township
    return period


def since(code: str, start: str = "2022-06-01", end: str | None = None) -> dict:
    record: dict[str, Any] = {"code": code, "effective_from": start}
    if end is not None:
        record["effective_to"] = end
    return record


def scored(
    http: TestClient,
    auth: dict[str, str],
    residence: list[dict] | None = None,
    insurance: list[dict] | None = None,
    adjustments: list[dict] | None = None,
    **permit: Any,
) -> dict[str, Any]:
    permit = {"issued_on": "2022-01-01", "valid_until": "2023-12-31", **permit}
    records = {"residence_periods": residence or [], "insurance_periods": insurance or [],
               "adjustments": adjustments or []}  # fmt: skip
    holder_id = store_holder(http, auth, records, jurisdiction="370300", **permit)
    return read_score(http, auth, holder_id, AS_OF, "370300@2021-12-29")


def entitlement(score: dict[str, Any], domain: str) -> dict[str, Any]:
    return next(e for e in score["entitlements"] if e["domain"] == domain)


SETTLEMENT_CASES = [
    # (case, residence, insurance, adjustments, settlement level)
    ("renting in a subdistrict (living in 城镇)",
     [home("370303", SUBDISTRICT_ZHANGDIAN, "rented")], [], [], 1),
    ("own home in a town", [home("370302", TOWN_ZICHUAN, "owned")], [], [], 1),
    ("own home in a 乡: not 城镇", [home("370323", XIANG_YIYUAN, "owned")], [], [], 0),
    ("own home, township not recorded", [home("370306", None, "owned")], [], [], 0),
    ("own home in an `other` unit", [home("370303", OTHER_ZHANGDIAN, "owned")], [], [], 0),
    ("rented in a town, owner consents", [home("370305", TOWN_LINZI, "rented")], [],
     [since("rental_owner_consent")], 1),
    ("rented in a 乡, owner consents", [home("370323", XIANG_YIYUAN, "rented")], [],
     [since("rental_owner_consent")], 0),
    ("employer dormitory in a town (collective household)",
     [home("370322", TOWN_GAOQING, "employer")], [], [], 1),
    ("work: exactly 1 insurance month, no home", [],
     [{"district": "370306", "type": "work_injury", "start_month": "2022-12"}], [], 1),
    ("work: insurance started this month, 0 months ended", [],
     [{"district": "370306", "type": "pension", "start_month": "2023-01"}], [], 0),
    ("work: 1 insurance month, living in a 乡", [home("370323", XIANG_YIYUAN, "rented")],
     [{"district": "370323", "type": "pension", "start_month": "2022-12"}], [], 1),
    ("work: insurance only outside the city", [],
     [{"district": "370102", "type": "pension", "start_month": "2021-01"}], [], 0),
    ("near kin in 城镇, living in a 乡", [home("370323", XIANG_YIYUAN, "other")], [],
     [since("kin_in_city")], 1),
    ("kin in a rural area, no home", [], [], [since("kin_rural")], 1),
    ("talent, no home", [], [], [since("talent")], 1),
    ("talent record ended on as_of", [], [], [since("talent", end=AS_OF)], 0),
    ("no records", [], [], [], 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("residence", "insurance", "adjustments", "settlement"),
    [case[1:] for case in SETTLEMENT_CASES],
    ids=[case[0] for case in SETTLEMENT_CASES],
)
def test_settlement_paths(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    residence: list[dict],
    insurance: list[dict],
    adjustments: list[dict],
    settlement: int,
) -> None:
    score = scored(http, auth, residence, insurance, adjustments)
    # 五(十): the services come with the valid permit, whatever else the holder has.
    assert levels(score) == {
        "education": 1,
        "healthcare": 1,
        "housing": 1,
        "settlement": settlement,
    }


def test_a_home_in_a_xiang_misses_only_城镇(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    score = scored(http, auth, [home("370323", XIANG_YIYUAN, "owned")])
    settlement = entitlement(score, "settlement")
    assert settlement["next"]["missing"] == {
        "any_of": [
            {"area_kinds": URBAN},  # 1. living in 城镇
            {"area_kinds": URBAN},  # 2. own home in 城镇: owned is met
            {"housing": ["rented"], "area_kinds": URBAN, "adjustments": ["rental_owner_consent"]},
            {"adjustments": ["kin_in_city"]},
            {"adjustments": ["kin_rural"]},
            {"insurance_months": 1},
            {"adjustments": ["talent"]},
        ]
    }
    # Nothing recorded will change: no date on which it settles.
    assert settlement["next"]["projected_on"] is None


def test_settlement_needs_no_permit_but_services_do(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    suspended = scored(http, auth, adjustments=[since("talent")], status="suspended")
    assert suspended["permit_valid"] is False
    assert levels(suspended) == {"education": 0, "healthcare": 0, "housing": 0, "settlement": 1}
    expired = scored(
        http,
        auth,
        [home("370302", TOWN_ZICHUAN, "owned", start="2020-01-01")],
        issued_on="2021-01-01",
        valid_until="2022-12-31",
    )
    assert expired["permit_valid"] is False
    assert levels(expired) == {"education": 0, "healthcare": 0, "housing": 0, "settlement": 1}
    # The permit's last day still counts.
    last_day = scored(http, auth, valid_until=AS_OF)
    assert levels(last_day) == {"education": 1, "healthcare": 1, "housing": 1, "settlement": 0}


def test_services_come_at_once_ten_years_change_no_level(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    new = scored(http, auth, [home("370303", SUBDISTRICT_ZHANGDIAN, "rented")])
    veteran = scored(
        http,
        auth,
        [home("370321", "370321101", "owned", start="2013-01-01")],
        [
            {"district": "370321", "type": "pension", "start_month": "2013-01"},
            {"district": "370321", "type": "medical", "start_month": "2015-01"},
        ],
        issued_on="2013-01-01",
    )
    assert new["total_points"] == 0
    # 120 months each: 10 years x 2 (cap 20) + 10 years x 3 (chosen values, no clause).
    assert veteran["total_points"] == 50
    assert levels(new) == levels(veteran)
    assert levels(new) == {"education": 1, "healthcare": 1, "housing": 1, "settlement": 1}
    for domain in ("education", "healthcare", "housing"):
        tier = entitlement(new, domain)
        assert tier["next"] is None  # one tier: nothing step by step


def test_references_carry_their_basis(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    score = scored(
        http,
        auth,
        [home("370305", TOWN_LINZI, "rented")],
        [{"district": "370305", "type": "pension", "start_month": "2021-01"}],
        [since(code) for code in ("rental_owner_consent", "kin_in_city", "kin_rural", "talent")],
    )
    residence, insurance, adjustments = score["components"]
    # The document has no points scheme: the chosen point values cite no clause.
    assert "reference" not in residence
    assert "reference" not in insurance
    # Qualifications worth 0, each stated by its clause; no bonus or deduction of any kind.
    assert adjustments["points"] == 0
    assert [(i["code"], i["points"], i["reference"]["clause"], i["reference"]["basis"])
            for i in adjustments["items"]] == [
        ("rental_owner_consent", 0, "二(四)全面放开居住落户", "stated"),
        ("kin_in_city", 0, "二(四)全面放开投靠落户", "stated"),
        ("kin_rural", 0, "三(六)", "stated"),
        ("talent", 0, "二(四)全面放开人才落户", "stated"),
    ]  # fmt: skip
    assert all(i["reference"]["document"] == DOCUMENT for i in adjustments["items"])
    # 五(十) states the services with the permit; the settlement tier holds one chosen number
    # (work: 1 month of insurance).
    bases = {
        e["domain"]: (e["tier"]["reference"]["clause"], e["tier"]["reference"]["basis"])
        for e in score["entitlements"]
    }
    assert bases == {
        "education": ("五(十)", "stated"),
        "healthcare": ("五(十)", "stated"),
        "housing": ("五(十)", "stated"),
        "settlement": ("二(四)、二(五)、三(六)", "chosen"),
    }


def test_the_served_policy_has_no_invented_adjustment(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    policy = http.get("/v1/policies/370300@2021-12-29", headers=auth).json()
    assert [(a["code"], a["points"]) for a in policy["adjustments"]] == [
        ("rental_owner_consent", 0),
        ("kin_in_city", 0),
        ("kin_rural", 0),
        ("talent", 0),
    ]
    assert all(a["reference"]["basis"] == "stated" for a in policy["adjustments"])
    assert "reference" not in policy["indicators"]["residence"]
    assert "reference" not in policy["indicators"]["insurance"]
    assert policy["indicators"]["insurance"]["types"] == []  # 社会保险 in general
    for domain in ("education", "healthcare", "housing"):
        assert [t["requires"] for t in policy["domains"][domain]] == [{}]
