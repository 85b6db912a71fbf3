"""Zhaoqing (441200): the shipped 2016 and 2017 versions, read against the 2017 report (seed 004).

Holders are stored over HTTP with townships on their residence periods, and their scores read
back. Every expected level is worked by hand from the report's words:
- 一、一是 a renter with a permit and 6 months' continuous residence settles, anywhere in the city
  (subdistrict, town or 乡, township recorded or not); the home must be rented;
- 一、三是 an owner settles with no duration and no permit, a 乡 included; so does the owner of
  non-residential property (a 0-point qualification);
- 一、六是 6 months of social insurance of any type settle; 一、二是/四是/五是 qualifications settle;
- 三、二是 compulsory education is guaranteed to every child: level 1 with no permit needed;
- 三、三是 medical-insurance continuity is for people who settle: healthcare has no tier;
- 三、一是 (2017 version only) Duanzhou public rental housing for the stably employed: a home in
  the district of Duanzhou (not only its city proper) and 6 insurance months.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import levels, store_holder

REPORT = "广东肇庆市以实现“零门槛”入户目标推进户籍制度改革"
DOMAINS = ["education", "healthcare", "housing", "settlement"]


@pytest.fixture
def holder(http: TestClient, auth: dict[str, str], shipped_policies: list[str]) -> Any:
    """Store a Zhaoqing holder with the given records; answer a function giving its score."""

    def create(
        permit: dict[str, str] | None = None,
        residence: list[dict[str, Any]] | None = None,
        insurance: list[dict[str, Any]] | None = None,
        adjustments: list[dict[str, Any]] | None = None,
    ) -> Any:
        permit = permit or {"issued_on": "2016-09-15", "valid_until": "2018-09-15"}
        records = {"residence_periods": residence or [], "insurance_periods": insurance or [],
                   "adjustments": adjustments or []}  # fmt: skip
        holder_id = store_holder(http, auth, records, jurisdiction="441200", **permit)

        def score(as_of: str) -> dict[str, Any]:
            response = http.get(
                f"/v1/holders/{holder_id}/score", params={"as_of": as_of}, headers=auth
            )
            assert response.status_code == 200, response.text
            result: dict[str, Any] = response.json()
            return result

        return score

    return create


def entitlement(score: dict[str, Any], domain: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in score["entitlements"] if e["domain"] == domain)
    return found


def rented(district: str, start: str, township: str | None = None, **more: Any) -> dict[str, Any]:
    period = {"district": district, "start_date": start, "housing": "rented", **more}
    if township is not None:
        period["township"] = township
    return period


# --- 一、一是: the renter -----------------------------------------------------------------------


def test_renter_in_a_town_settles_at_six_months_not_at_five(holder: Any) -> None:
    score = holder(residence=[rented("441204", "2016-09-01", "441204101")])
    five = score("2017-02-28")
    assert five["components"][0]["months"] == 5
    assert levels(five) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 0}
    six = score("2017-03-01")
    assert six["components"][0]["months"] == 6
    assert six["policy"]["id"] == "441200@2016-07-01"
    assert levels(six) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 1}


@pytest.mark.parametrize(
    ("district", "township"),
    [
        ("441202", "441202001"),  # a Duanzhou subdistrict
        ("441224", "441224105"),  # a Huaiji town
        ("441223", "441223201"),  # a Guangning township (乡): the whole city is open
        ("441225", "441225400"),  # another township-level unit
        ("441226", None),  # township not recorded: no place rule asks for one
    ],
)
def test_renter_settles_wherever_the_home_is(
    holder: Any, district: str, township: str | None
) -> None:
    score = holder(residence=[rented(district, "2016-09-01", township)])("2017-03-01")
    assert entitlement(score, "settlement")["level"] == 1


def test_renting_path_needs_a_rented_home_and_a_valid_permit(holder: Any) -> None:
    # An employer-provided home is not a rented one: the renting path is not met.
    employer = holder(residence=[rented("441202", "2016-08-01", "441202001", housing="employer")])(
        "2017-03-01"
    )
    settlement = entitlement(employer, "settlement")
    assert settlement["level"] == 0
    assert settlement["next"]["missing"] == {
        "any_of": [
            {"housing": ["rented"]},
            {"housing": ["owned"]},
            {"adjustments": ["property_owner"]},
            {"insurance_months": 6},
            {"adjustments": ["kin_living_together"]},
            {"adjustments": ["investor"]},
            {"adjustments": ["college_graduate", "skilled_talent"]},
        ]
    }
    # A rented home with a suspended permit: the renting path asks for the permit.
    suspended = holder(
        permit={"issued_on": "2016-05-01", "valid_until": "2017-05-01", "status": "suspended"},
        residence=[rented("441204", "2016-05-01", "441204101")],
    )("2017-03-01")
    assert suspended["permit_valid"] is False
    assert levels(suspended) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 0}


def test_continuity_survives_a_30_day_gap_not_a_31_day_one(holder: Any) -> None:
    first = {"district": "441202", "start_date": "2016-01-01", "end_date": "2016-10-01",
             "housing": "rented", "township": "441202001"}  # fmt: skip
    kept = holder(residence=[first, rented("441203", "2016-10-31", "441203001")])("2017-03-01")
    assert kept["components"][0]["months"] == 13
    assert entitlement(kept, "settlement")["level"] == 1
    broken = holder(residence=[first, rented("441203", "2016-11-01", "441203001")])("2017-03-01")
    assert broken["components"][0]["months"] == 4
    assert entitlement(broken, "settlement")["level"] == 0


# --- 一、三是: owners ---------------------------------------------------------------------------


def test_owner_in_a_township_settles_at_once_without_a_permit(holder: Any) -> None:
    score = holder(
        permit={"issued_on": "2017-02-01", "valid_until": "2018-02-01", "status": "suspended"},
        residence=[{"district": "441223", "township": "441223201", "start_date": "2017-02-20",
                    "housing": "owned"}],
    )("2017-03-01")  # fmt: skip
    assert score["components"][0]["months"] == 0
    assert levels(score) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 1}


def test_owner_of_non_residential_property_settles_without_a_home(holder: Any) -> None:
    score = holder(adjustments=[{"code": "property_owner", "effective_from": "2017-01-10"}])(
        "2017-03-01"
    )
    assert entitlement(score, "settlement")["level"] == 1
    assert score["components"][2] == {
        "indicator": "adjustments",
        "points": 0,
        "items": [
            {"code": "property_owner", "points": 0,
             "reference": {"document": REPORT, "clause": "一、三是", "basis": "stated"}},
        ],
    }  # fmt: skip


# --- 一、六是 work, and the qualifications of 一、二是, 四是, 五是 -------------------------------------


@pytest.mark.parametrize(("start_month", "settles"), [("2016-09", 1), ("2016-10", 0)])
def test_six_months_of_any_social_insurance_settle(
    holder: Any, start_month: str, settles: int
) -> None:
    score = holder(
        insurance=[{"district": "441225", "type": "medical", "start_month": start_month}]
    )("2017-03-01")
    assert score["components"][1]["months"] == (6 if settles else 5)
    assert entitlement(score, "settlement")["level"] == settles


@pytest.mark.parametrize(
    ("code", "clause"),
    [
        ("kin_living_together", "一、二是（一是、三是、四是随迁）"),
        ("investor", "一、四是"),
        ("college_graduate", "一、五是"),  # any year, no work record
        ("skilled_talent", "一、五是"),
    ],
)
def test_each_qualification_settles_and_is_worth_nothing(
    holder: Any, code: str, clause: str
) -> None:
    score = holder(adjustments=[{"code": code, "effective_from": "2010-07-01"}])("2017-03-01")
    assert score["total_points"] == 0
    assert entitlement(score, "settlement")["level"] == 1
    item = score["components"][2]["items"][0]
    assert item == {
        "code": code,
        "points": 0,
        "reference": {"document": REPORT, "clause": clause, "basis": "stated"},
    }


def test_holder_with_no_records_reaches_compulsory_education_only(holder: Any) -> None:
    score = holder()("2017-03-01")
    assert levels(score) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 0}
    education = entitlement(score, "education")
    assert education["tier"]["code"] == "compulsory_education"
    assert education["tier"]["reference"] == {
        "document": REPORT, "clause": "三、二是", "basis": "stated",
    }  # fmt: skip
    # 三、三是: continuity of medical insurance is for people who settle, not permit holders.
    healthcare = entitlement(score, "healthcare")
    assert healthcare == {"domain": "healthcare", "level": 0, "services": [], "next": None}


def test_settlement_tier_is_stated_and_carries_the_insurance_transfer(holder: Any) -> None:
    score = holder(adjustments=[{"code": "investor", "effective_from": "2016-11-01"}])("2017-03-01")
    settlement = entitlement(score, "settlement")
    assert settlement["tier"]["reference"]["basis"] == "stated"
    assert [s["code"] for s in settlement["services"]] == [
        "hukou_registration",
        "relatives_accompany",
        "medical_insurance_transfer",
    ]


def test_expired_permit_keeps_compulsory_education(holder: Any) -> None:
    score = holder(
        permit={"issued_on": "2016-01-01", "valid_until": "2017-02-28", "status": "active"},
        adjustments=[{"code": "skilled_talent", "effective_from": "2016-08-01"}],
    )("2017-03-01")
    assert score["permit_valid"] is False
    assert levels(score) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 1}


def test_ten_years_count_for_points_only_and_the_values_are_chosen(holder: Any) -> None:
    score = holder(
        residence=[rented("441202", "2007-03-01", "441202001")],
        insurance=[{"district": "441202", "type": "pension", "start_month": "2007-03"}],
    )("2017-03-01")
    residence, insurance, adjustments = score["components"]
    assert (residence["months"], residence["points"], residence["cap"]) == (120, 20, 20)
    assert (insurance["months"], insurance["points"], insurance["cap"]) == (120, 30, 45)
    assert residence["reference"]["basis"] == "chosen"
    assert insurance["reference"]["basis"] == "chosen"
    assert adjustments == {"indicator": "adjustments", "points": 0, "items": []}
    assert score["total_points"] == 50
    # No step-by-step service: ten years reach the same levels as the first six months.
    assert levels(score) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 1}


# --- 三、一是 (2017): Duanzhou public rental housing ---------------------------------------------


@pytest.mark.parametrize(
    ("district", "township", "housing_level"),
    [
        ("441202", "441202001", 1),  # a Duanzhou subdistrict
        ("441202", "441202100", 1),  # a Duanzhou town: the district, not only its city proper
        ("441202", None, 1),  # no township recorded: no area kind is asked
        ("441203", "441203001", 0),  # Dinghu: only Duanzhou opened its public rental housing
    ],
)
def test_duanzhou_public_rental_housing(
    holder: Any, district: str, township: str | None, housing_level: int
) -> None:
    score = holder(
        permit={"issued_on": "2017-03-01", "valid_until": "2018-03-01", "status": "active"},
        residence=[rented(district, "2017-03-01", township)],
        insurance=[{"district": "441204", "type": "pension", "start_month": "2017-03"}],
    )
    before = score("2017-09-04")
    assert before["policy"]["id"] == "441200@2016-07-01"
    assert entitlement(before, "housing")["level"] == 0
    after = score("2017-09-05")
    assert after["policy"]["id"] == "441200@2017-09-05"
    assert after["components"][1]["months"] == 6
    assert levels(after) == {"education": 1, "healthcare": 0, "housing": housing_level,
                             "settlement": 1}  # fmt: skip
    if housing_level:
        tier = entitlement(after, "housing")["tier"]
        assert tier["code"] == "duanzhou_public_rental_housing"
        assert tier["reference"] == {"document": REPORT, "clause": "三、一是", "basis": "chosen"}


def test_duanzhou_housing_needs_six_insurance_months_and_a_valid_permit(holder: Any) -> None:
    five = holder(
        permit={"issued_on": "2017-07-01", "valid_until": "2018-07-01", "status": "active"},
        residence=[rented("441202", "2017-06-01", "441202001")],
        insurance=[{"district": "441202", "type": "pension", "start_month": "2017-08"}],
    )("2018-01-01")
    housing = entitlement(five, "housing")
    assert housing["level"] == 0
    assert housing["next"]["missing"] == {"insurance_months": 1}
    assert housing["next"]["projected_on"] == "2018-02-01"

    suspended = holder(
        permit={"issued_on": "2017-01-01", "valid_until": "2018-06-01", "status": "suspended"},
        residence=[rented("441202", "2017-11-01", "441202001")],
        insurance=[{"district": "441202", "type": "medical", "start_month": "2017-01"}],
    )("2018-01-01")
    assert levels(suspended) == {"education": 1, "healthcare": 0, "housing": 0, "settlement": 1}

    no_home = holder(
        insurance=[{"district": "441202", "type": "pension", "start_month": "2017-01"}]
    )("2018-01-01")
    assert entitlement(no_home, "housing")["next"]["missing"] == {"district": {"in": ["441202"]}}


def test_every_reference_in_both_versions_has_a_basis(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    for policy_id in ("441200@2016-07-01", "441200@2017-09-05"):
        document = http.get(f"/v1/policies/{policy_id}", headers=auth).json()
        references = [i.get("reference") for i in document["indicators"].values()]
        references += [a.get("reference") for a in document["adjustments"]]
        references += [t.get("reference") for d in DOMAINS for t in document["domains"][d]]
        assert all(r is not None and r["basis"] in {"stated", "chosen"} for r in references)
        assert document["domains"]["healthcare"] == []
        assert all(a["points"] == 0 for a in document["adjustments"])
        assert {a["code"] for a in document["adjustments"]} == {
            "kin_living_together", "property_owner", "investor", "college_graduate",
            "skilled_talent",
        }  # fmt: skip
