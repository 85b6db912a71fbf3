"""Yangjiang's shipped policy (441700@2016-04-11) read against its document, over HTTP.

Holders are stored with residence periods that name their township (SPEC §4), and their scores
are read back. The expected levels are worked by hand from 阳江市进一步推进户籍制度改革工作方案:
三(一)1 opens every town (建制镇, Zhapo and Pinggang inside Jiangcheng included) and Yangchun's
city proper to anyone with a home; 三(一)2 opens the city proper of Jiangcheng and Yangdong (their
subdistricts) after 3 years of stable work and 3 years of social insurance of any type; 三(三)8, 9
open settlement to kin, graduates and certified talent; 三(四)11 guarantees equal compulsory
education, which no number gates.
"""

from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import levels, read_score, store_holder

POLICY_ID = "441700@2016-04-11"
AS_OF = "2020-01-01"
DOCUMENT = "阳江市进一步推进户籍制度改革工作方案"


def _score(
    http: TestClient,
    auth: dict[str, str],
    residence: Sequence[dict[str, Any]] = (),
    insurance: Sequence[dict[str, Any]] = (),
    adjustments: Sequence[dict[str, Any]] = (),
    **permit: Any,
) -> dict[str, Any]:
    records = {"residence_periods": residence, "insurance_periods": insurance,
               "adjustments": adjustments}  # fmt: skip
    permit = {"issued_on": "2017-01-01", "valid_until": "2020-12-31", **permit}
    return read_score(http, auth, store_holder(http, auth, records, **permit), AS_OF, POLICY_ID)


def _home(township: str | None, start: str = "2019-05-01", **extra: Any) -> dict[str, Any]:
    district = township[:6] if township else extra.pop("district")
    period = {"district": district, "start_date": start, "housing": "rented", **extra}
    if township:
        period["township"] = township
    return period


def _pension(district: str, start: str, **extra: Any) -> dict[str, Any]:
    return {"district": district, "type": "pension", "start_month": start, **extra}


@pytest.mark.parametrize(
    ("home", "settlement"),
    [
        # (a) a town inside Jiangcheng (like Zhapo, Pinggang), rented, no insurance: 三(一)1.
        (_home("441702101"), 1),
        # A town of Yangdong, Yangxi (like Zhigong, its seat) and Yangchun: "其他建制镇".
        (_home("441704101"), 1),
        (_home("441721101"), 1),
        (_home("441781101"), 1),
        # (d) Yangchun's city proper (阳春市市区) is its subdistricts: open with a home alone.
        (_home("441781001"), 1),
        # A subdistrict of Jiangcheng or Yangdong with no insurance: 三(一)2 needs 3 years.
        (_home("441702001"), 0),
        (_home("441704001"), 0),
        # (c) No township recorded: no rule asking for an area kind is met, in any district.
        (_home(None, district="441702"), 0),
        (_home(None, district="441781"), 0),
        (_home(None, district="441721"), 0),
        # The plan opens no 乡 and no other township-level unit.
        (_home("441781201"), 0),
        (_home("441702400"), 0),
    ],
    ids=[
        "jiangcheng-town", "yangdong-town", "yangxi-town", "yangchun-town",
        "yangchun-subdistrict", "jiangcheng-subdistrict", "yangdong-subdistrict",
        "jiangcheng-unrecorded", "yangchun-unrecorded", "yangxi-unrecorded",
        "yangchun-xiang", "jiangcheng-other",
    ],
)  # fmt: skip
def test_a_home_alone_settles_in_a_town_or_yangchuns_city_proper(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    home: dict[str, Any],
    settlement: int,
) -> None:
    score = _score(http, auth, residence=[home])
    assert score["total_points"] == 0  # 8 months of residence, no insurance, no adjustment
    # (e) Equal compulsory education (三(四)11) and community health (三(四)13) at once.
    assert levels(score) == {
        "education": 1, "healthcare": 1, "housing": 0, "settlement": settlement,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("insurance", "months", "settlement"),
    [
        # (b) 24 months: short of 三(一)2's 3 years.
        ([_pension("441702", "2018-01")], 24, 0),
        ([_pension("441702", "2017-02")], 35, 0),
        ([_pension("441702", "2017-01")], 36, 1),
        # "参加社会保险" names no type: pension then medical make 36 distinct months, and the
        # unemployment months that overlap the pension ones are not counted twice.
        (
            [
                _pension("441702", "2017-01", end_month="2018-06"),
                {"district": "441702", "type": "unemployment", "start_month": "2017-01",
                 "end_month": "2017-12"},
                {"district": "441702", "type": "medical", "start_month": "2018-07"},
            ],
            36,
            1,
        ),
    ],
    ids=["24-months", "35-months", "36-months", "36-months-mixed-types"],
)  # fmt: skip
def test_jiangchengs_city_proper_needs_three_years_of_social_insurance(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    insurance: list[dict[str, Any]],
    months: int,
    settlement: int,
) -> None:
    home = _home("441702001", start="2017-01-01")
    score = _score(http, auth, residence=[home], insurance=insurance)
    assert [c.get("months") for c in score["components"][:2]] == [36, months]
    assert levels(score)["settlement"] == settlement


def test_two_years_in_jiangcheng_subdistrict_settle_when_the_third_is_paid(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    score = _score(
        http, auth, residence=[_home("441702001", start="2018-01-01")],
        insurance=[_pension("441702", "2018-01")],
    )  # fmt: skip
    # 2 full years of each: 2 × 2 + 2 × 3 = 10 points.
    assert score["total_points"] == 10
    settlement = score["entitlements"][3]
    assert settlement["domain"] == "settlement" and settlement["level"] == 0
    # Home and district are right; only the months are short (alternative 3 of the tier).
    alternatives = settlement["next"]["missing"]["any_of"]
    assert alternatives[2] == {"insurance_months": 12}
    # The 36th month (2020-12) has ended on 2021-01-01.
    assert settlement["next"]["projected_on"] == "2021-01-01"


def test_a_home_with_no_township_never_settles_by_area(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    # (c) Ten years in Jiangcheng, insured throughout, but the home's township is not recorded.
    score = _score(
        http, auth, residence=[_home(None, district="441702", start="2010-01-01")],
        insurance=[_pension("441702", "2010-01")],
    )  # fmt: skip
    assert score["total_points"] == 50  # 20 (10 years, the cap) + 30 (10 years)
    assert levels(score) == {"education": 2, "healthcare": 2, "housing": 2, "settlement": 0}
    settlement = score["entitlements"][3]
    alternatives = settlement["next"]["missing"]["any_of"]
    assert alternatives[0] == {"area_kinds": ["town"]}
    assert alternatives[2] == {"area_kinds": ["subdistrict"]}
    # Nothing that keeps going (residence, insurance) will ever say where the home is.
    assert settlement["next"]["projected_on"] is None


def test_ten_years_stand_above_a_new_holder(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    new = _score(http, auth, residence=[_home("441702002", start="2019-06-01")])
    ten_years = _score(
        http, auth, residence=[_home("441702002", start="2010-01-01")],
        insurance=[_pension("441702", "2010-01")],
    )  # fmt: skip
    assert levels(new) == {"education": 1, "healthcare": 1, "housing": 0, "settlement": 0}
    assert levels(ten_years) == {
        "education": 2, "healthcare": 2, "housing": 2, "settlement": 1,
    }  # fmt: skip


def test_public_school_enrolment_is_never_gated(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    # (e) 三(四)11: equal compulsory education for every school-age child, no points or years.
    new = _score(http, auth, residence=[_home("441702001", start="2019-12-01")])
    education = new["entitlements"][0]
    assert (education["domain"], education["level"], new["total_points"]) == ("education", 1, 0)
    assert [s["code"] for s in education["services"]] == ["public_school_enrolment"]
    assert education["tier"]["reference"] == {
        "document": DOCUMENT, "clause": "三(四)11", "basis": "stated",
    }  # fmt: skip
    # Guaranteed to residents, not to the permit: a lapsed permit with a home here keeps it...
    lapsed = _score(
        http, auth, residence=[_home("441721101", start="2015-01-01")],
        issued_on="2018-01-01", valid_until="2019-12-31",
    )  # fmt: skip
    assert lapsed["permit_valid"] is False
    assert levels(lapsed) == {"education": 1, "healthcare": 1, "housing": 0, "settlement": 1}
    # ...and a lapsed permit with no home in the city has nothing here.
    gone = _score(
        http, auth, residence=[_home("441702001", start="2015-01-01", end_date="2019-10-01")],
        issued_on="2015-06-01", valid_until="2019-12-31",
    )  # fmt: skip
    assert levels(gone) == {"education": 0, "healthcare": 0, "housing": 0, "settlement": 0}


@pytest.mark.parametrize(
    ("code", "home"),
    [
        ("college_degree", None),
        ("skilled_talent", _home("441702001")),
        ("special_talent", _home(None, district="441704")),
        ("kin_in_city", _home(None, district="441702")),
    ],
)
def test_qualifications_settle_and_carry_no_points(
    http: TestClient,
    auth: dict[str, str],
    shipped_policies: list[str],
    code: str,
    home: dict[str, Any] | None,
) -> None:
    score = _score(
        http, auth, residence=[home] if home else [],
        adjustments=[{"code": code, "effective_from": "2019-01-01"}],
    )  # fmt: skip
    assert score["total_points"] == 0
    assert levels(score)["settlement"] == 1
    adjustments = score["components"][2]
    clause = "三(三)8" if code == "kin_in_city" else "三(三)9"
    assert adjustments["items"] == [
        {"code": code, "points": 0,
         "reference": {"document": DOCUMENT, "clause": clause, "basis": "stated"}},
    ]  # fmt: skip


def test_every_reference_in_an_answer_says_its_basis(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    score = _score(
        http, auth, residence=[_home("441704001", start="2010-01-01")],
        insurance=[_pension("441704", "2010-01")],
        adjustments=[{"code": "college_degree", "effective_from": "2010-07-01"}],
    )  # fmt: skip
    residence, insurance, adjustments = score["components"]
    chosen = {"document": DOCUMENT, "clause": "三(二)4", "basis": "chosen"}
    assert residence["reference"] == chosen and insurance["reference"] == chosen
    assert [i["reference"]["basis"] for i in adjustments["items"]] == ["stated"]
    tiers = {e["domain"]: e["tier"] for e in score["entitlements"]}
    assert {domain: (t["code"], t["reference"]["basis"]) for domain, t in tiers.items()} == {
        "education": ("local_entrance_exam", "chosen"),
        "healthcare": ("medical_assistance", "chosen"),
        "housing": ("public_rental_housing", "chosen"),
        "settlement": ("household_registration", "stated"),
    }


def test_the_catalogue_holds_only_what_the_document_names(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    policy = http.get(f"/v1/policies/{POLICY_ID}", headers=auth).json()
    # 三(三)8 and 9 name qualifications and grant no points; no deduction or bonus appears.
    assert [(a["code"], a["points"], a["reference"]["clause"]) for a in policy["adjustments"]] == [
        ("college_degree", 0, "三(三)9"),
        ("skilled_talent", 0, "三(三)9"),
        ("special_talent", 0, "三(三)9"),
        ("kin_in_city", 0, "三(三)8"),
    ]
    # "参加社会保险" in general: every insurance type counts.
    assert policy["indicators"]["insurance"]["types"] == []
    references = [policy["indicators"][i]["reference"] for i in ("residence", "insurance")]
    references += [a["reference"] for a in policy["adjustments"]]
    references += [t["reference"] for tiers in policy["domains"].values() for t in tiers]
    assert all(r["basis"] in {"stated", "chosen"} for r in references)
    assert len(references) == 2 + 4 + 7
