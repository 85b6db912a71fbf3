"""The oracle (tests/oracle.py) against numbers worked by hand from SPEC §6 and docs/rules.md,
and against the test cases that every policy file carries. Nothing here comes from `app`: the
oracle is checked on its own before it is trusted to judge the engine."""

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import oracle
from tests.worked_example import SPEC_SCORE_JSON

ROOT = Path(__file__).resolve().parents[2]
D = date.fromisoformat


@cache
def load(path: Path) -> dict[str, Any]:
    """A policy file as YAML gives it (read once: the tests do not change it)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


EXAMPLE = load(ROOT / "tests" / "fixtures" / "example_policy.yaml")  # SPEC §5's example
JIANGCHENG, YANGDONG, YANGXI, GUANGZHOU = "441702", "441704", "441721", "440100"


def records(
    permit: tuple[str, str, str] = ("2019-03-01", "2027-02-28", "active"),
    residence: list[dict[str, Any]] | None = None,
    insurance: list[dict[str, Any]] | None = None,
    adjustments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    issued_on, valid_until, status = permit
    return {
        "permit": {"issued_on": issued_on, "valid_until": valid_until, "status": status},
        "residence_periods": residence or [],
        "insurance_periods": insurance or [],
        "adjustments": adjustments or [],
    }


def home(start: str, end: str | None = None, district: str = JIANGCHENG, **more: Any):
    return {"district": district, "start_date": start, "end_date": end, **more}


def paid(first: str, last: str | None = None, type_: str = "pension", district: str = JIANGCHENG):
    return {"district": district, "type": type_, "start_month": first, "end_month": last}


def policy(residence: dict[str, Any] | None = None, insurance: dict[str, Any] | None = None):
    """The example policy with other indicators."""
    indicators = {
        "residence": residence or {"points_per_year": 2, "cap": 20},
        "insurance": insurance or {"points_per_year": 3, "cap": 45},
    }
    return {**EXAMPLE, "indicators": indicators}


# --- calendar: SPEC §6.2, §6.4 and docs/rules.md §3 --------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-01-31", 1, "2024-02-29"),  # SPEC §6.2: keeps the day, clamps (leap year)
        ("2023-01-31", 1, "2023-02-28"),
        ("2018-01-31", 1, "2018-02-28"),  # SPEC §6.2: not SQLite's 2018-03-03
        ("2024-01-31", 2, "2024-03-31"),  # rules.md §3: from the original date, not stepwise
        ("2018-01-31", 49, "2022-02-28"),  # rules.md §3, SPEC §6.5
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2100-01-29", 1, "2100-02-28"),  # 2100 is not a leap year
        ("2000-01-30", 1, "2000-02-29"),  # 2000 is
        ("2024-12-31", 1, "2025-01-31"),
        ("2024-05-20", 0, "2024-05-20"),
    ],
)
def test_add_months(start: str, months: int, expected: str) -> None:
    assert oracle.add_months(D(start), months) == D(expected)


def test_years_are_added_like_months() -> None:
    assert oracle.add_years(D("2024-02-29"), 50) == D("2074-02-28")  # SPEC §6.4
    assert oracle.horizon(D("2022-03-01")) == D("2072-03-01")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 2018-01-31 + 1 month = 2018-02-28, which is not after 2018-02-28: k = 1
        ("2018-01-31", "2018-02-28", 1),
        ("2018-01-31", "2018-02-27", 0),
        ("2024-01-31", "2024-02-29", 1),  # rules.md §3
        ("2024-01-31", "2024-02-28", 0),  # rules.md §3: 2024-02-29 is after e
        ("2019-10-31", "2020-01-15", 2),  # rules.md §3: 11-30 and 12-31 fit, 2020-01-31 does not
        ("2018-01-31", "2022-03-01", 49),  # SPEC §6.5 at 2022-03-01
        ("2018-01-31", "2022-07-01", 53),  # SPEC §6.5 at 2022-07-01
        ("2018-01-31", "2026-11-22", 105),  # SPEC §6.5 at 2026-11-22
        ("2020-02-29", "2021-02-28", 12),  # 2020-02-29 + 12 months clamps to 2021-02-28
        ("2020-02-29", "2021-02-27", 11),
        ("2020-01-15", "2020-02-14", 0),
        ("2020-01-15", "2020-02-15", 1),
        ("2020-01-01", "2020-01-01", 0),  # empty
        ("2020-01-02", "2020-01-01", 0),
    ],
)
def test_whole_months(start: str, end: str, expected: int) -> None:
    assert oracle.whole_months(D(start), D(end)) == expected


# --- codes: SPEC §6.1 and §4 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "prefix"),
    [("441700", "4417"), ("310000", "31"), ("621000", "6210"), ("110100", "1101"),
     ("441702", "441702"), ("441200", "4412")],
)  # fmt: skip
def test_jurisdiction_prefix(code: str, prefix: str) -> None:
    assert oracle.jurisdiction_prefix(code) == prefix


@pytest.mark.parametrize(
    ("township", "kind"),
    [("441702001", "subdistrict"), ("441702099", "subdistrict"), ("441702100", "town"),
     ("441702199", "town"), ("441702200", "township"), ("441702399", "township"),
     ("441702400", "other"), ("441702999", "other"), (None, None)],
)  # fmt: skip
def test_area_kind(township: str | None, kind: str | None) -> None:
    assert oracle.area_kind(township) == kind


# --- months: docs/rules.md §3-§4 examples ------------------------------------------------------

CUMULATIVE = {"points_per_year": 2, "cap": 20}


@pytest.mark.parametrize(
    ("periods", "as_of", "expected"),
    [
        # rules.md §3: overlapping periods merge: 14 months, not 11 + 9
        ([home("2019-01-01", "2019-12-01"), home("2019-06-01", "2020-03-01")], "2021-01-01", 14),
        # touching periods merge: 3 months, not 1 + 1
        ([home("2019-01-15", "2019-03-01"), home("2019-03-01", "2019-04-15")], "2021-01-01", 3),
        # a day apart they stay apart: 1 + 1
        ([home("2019-01-15", "2019-03-01"), home("2019-03-02", "2019-04-15")], "2021-01-01", 2),
        ([home("2020-01-01")], "2020-12-31", 11),  # D itself does not count
        ([home("2020-01-01")], "2021-01-01", 12),
        ([home("2020-01-01")], "2020-01-01", 0),  # starts on D: nothing yet
        ([home("2010-01-01", district=GUANGZHOU)], "2021-01-01", 0),  # another city
        ([home("2020-01-01", district="310101")], "2021-01-01", 0),
    ],
)  # fmt: skip
def test_residence_months_cumulative(periods: list[Any], as_of: str, expected: int) -> None:
    h = oracle.holder(records(residence=periods))
    assert oracle.residence_months(h, policy(CUMULATIVE), D(as_of)) == expected


def test_a_municipality_counts_every_district() -> None:
    shanghai = {**policy(CUMULATIVE), "jurisdiction": {"code": "310000"}}
    h = oracle.holder(records(residence=[home("2020-01-01", district="310115")]))
    assert oracle.residence_months(h, shanghai, D("2021-01-01")) == 12


# rules.md §3: max_gap_days 30; [2019-01-01, 2019-07-01) is 6 months, [2019-07-20, 2020-01-01)
# is 5 (2019-12-20 fits, 2020-01-20 does not), the gap 19 days.
GAPPED = [home("2019-01-01", "2019-07-01"), home("2019-07-20", "2020-01-01")]


@pytest.mark.parametrize(
    ("periods", "as_of", "continuous", "cumulative"),
    [
        (GAPPED, "2020-01-15", 11, 11),  # D − last end = 14 days <= 30
        (GAPPED, "2020-01-31", 11, 11),  # 30 days: still the run
        (GAPPED, "2020-02-01", 0, 11),  # 31 days: broken
        (GAPPED, "2020-02-15", 0, 11),  # rules.md: 45 days > 30
        # a gap of 31 days between intervals: only the later one
        ([home("2019-01-01", "2019-07-01"), home("2019-08-01", "2020-01-01")], "2020-01-15", 5, 11),
        # an ongoing period: D − e = 0
        ([home("2019-01-01", "2019-07-01"), home("2019-07-31")], "2020-01-31", 12, 12),
    ],
)  # fmt: skip
def test_residence_months_continuous(
    periods: list[Any], as_of: str, continuous: int, cumulative: int
) -> None:
    h = oracle.holder(records(residence=periods))
    gapped = policy({"points_per_year": 2, "cap": 20, "counting": "continuous", "max_gap_days": 30})
    assert oracle.residence_months(h, gapped, D(as_of)) == continuous
    assert oracle.residence_months(h, policy(CUMULATIVE), D(as_of)) == cumulative


PENSION_3 = {"types": ["pension"], "points_per_year": 3, "cap": 45, "counting": "continuous",
             "max_gap_months": 3}  # fmt: skip
EVERY_TYPE = {"points_per_year": 3, "cap": 45}


@pytest.mark.parametrize(
    ("indicator", "periods", "as_of", "expected"),
    [
        # SPEC §6.2: D = 2026-11-22 counts up to 2026-10
        (EVERY_TYPE, [paid("2026-01")], "2026-11-22", 10),
        (EVERY_TYPE, [paid("2026-01")], "2026-11-01", 10),
        (EVERY_TYPE, [paid("2026-01")], "2026-10-31", 9),
        (EVERY_TYPE, [paid("2026-01")], "2026-01-31", 0),
        # overlapping records never count twice; every type when `types` is empty
        (EVERY_TYPE, [paid("2020-01", "2020-12"), paid("2020-06", "2021-03", "medical")],
         "2021-04-01", 15),
        ({**EVERY_TYPE, "types": ["pension"]},
         [paid("2020-01", "2020-12"), paid("2020-06", "2021-03", "medical")], "2021-04-01", 12),
        (EVERY_TYPE, [paid("2020-01", district=GUANGZHOU)], "2026-01-01", 0),
        # rules.md §4: pension 2019-01..06 and 2019-11..2020-02, a gap of 4 months > 3
        (PENSION_3, [paid("2019-01", "2019-06"), paid("2019-11", "2020-02")], "2020-03-10", 4),
        (PENSION_3, [paid("2019-01", "2019-06"), paid("2019-11", "2020-02")], "2020-07-01", 0),
        (EVERY_TYPE, [paid("2019-01", "2019-06"), paid("2019-11", "2020-02")], "2020-07-01", 10),
        # a gap of exactly 3 joins; the last counted month 3 before the last ended one counts
        (PENSION_3, [paid("2019-01", "2019-06"), paid("2019-10", "2020-02")], "2020-06-01", 11),
        (PENSION_3, [paid("2019-01", "2019-06"), paid("2019-10", "2020-02")], "2020-07-01", 0),
    ],
)  # fmt: skip
def test_insurance_months(
    indicator: dict[str, Any], periods: list[Any], as_of: str, expected: int
) -> None:
    h = oracle.holder(records(insurance=periods))
    assert oracle.insurance_months(h, policy(insurance=indicator), D(as_of)) == expected


def test_points_of_an_indicator() -> None:
    indicator = {"points_per_year": 2, "cap": 20}  # rules.md §5
    assert [oracle.indicator_points(m, indicator) for m in (11, 12, 23, 130, 150)] == [
        0, 2, 2, 20, 20
    ]  # fmt: skip


# --- SPEC §6.5: the worked example -------------------------------------------------------------

WORKED_EXAMPLE = records(
    residence=[
        home("2018-01-31", "2020-06-01"),
        home("2020-05-20"),
        home("2010-01-01", "2018-01-01", district=GUANGZHOU),
    ],
    insurance=[paid("2018-03", "2021-12"), paid("2022-03"), paid("2015-01", type_="medical")],
    adjustments=[{"code": "college_degree", "effective_from": "2019-01-01"}],
)


@pytest.mark.parametrize(
    ("as_of", "residence", "insurance", "points", "education", "projected"),
    [
        ("2022-03-01", 49, 46, (8, 9, 10), 2, date(2024, 5, 1)),
        ("2022-07-01", 53, 50, (8, 12, 10), 2, date(2024, 5, 1)),
        ("2026-11-22", 105, 102, (16, 24, 10), 3, None),
    ],
)
def test_worked_example(
    as_of: str,
    residence: int,
    insurance: int,
    points: tuple[int, int, int],
    education: int,
    projected: date | None,
) -> None:
    answer = oracle.score(WORKED_EXAMPLE, EXAMPLE, D(as_of))
    assert (answer["residence_months"], answer["insurance_months"]) == (residence, insurance)
    assert answer["points"] == points
    assert answer["total_points"] == sum(points)
    assert answer["levels"]["education"] == education
    assert answer["projected_on"]["education"] == projected


def test_worked_example_is_the_spec_answer() -> None:
    """SPEC §7's answer at 2022-03-01: the numbers, levels, `missing` and `projected_on`."""
    answer = oracle.score(WORKED_EXAMPLE, EXAMPLE, D("2022-03-01"))
    spec = SPEC_SCORE_JSON
    assert answer["total_points"] == spec["total_points"]
    assert answer["permit_valid"] == spec["permit_valid"]
    residence, insurance, adjustments = spec["components"]
    assert answer["residence_months"] == residence["months"]
    assert answer["insurance_months"] == insurance["months"]
    assert answer["points"] == (residence["points"], insurance["points"], adjustments["points"])
    assert answer["items"] == [
        {k: v for k, v in item.items() if k != "reference"} for item in adjustments["items"]
    ]
    for entitlement in spec["entitlements"]:
        domain, following = entitlement["domain"], entitlement["next"]
        assert answer["levels"][domain] == entitlement["level"], domain
        if following is None:
            assert answer["missing"][domain] is None, domain
            assert answer["projected_on"][domain] is None, domain
        else:
            assert answer["missing"][domain] == following["missing"], domain
            assert answer["projected_on"][domain] == D(following["projected_on"]), domain


def test_the_day_before_education_tier_3() -> None:
    """rules.md §14: on 2024-04-30 insurance has 71 months and the total is 37; on 2024-05-01,
    72 months (6 years) and 40 points."""
    before = oracle.facts(WORKED_EXAMPLE, EXAMPLE, D("2024-04-30"))
    on = oracle.facts(WORKED_EXAMPLE, EXAMPLE, D("2024-05-01"))
    assert (before.insurance_months, before.total_points) == (71, 37)
    assert (on.residence_months, on.insurance_months, on.total_points) == (75, 72, 40)


# --- SPEC §6.3: adjustments, permit, current residence -----------------------------------------

CATALOGUE = [
    {"code": "college_degree", "points": 10},
    {"code": "false_materials", "points": -20},
    {"code": "veteran", "points": 0},
    {"code": "child", "points": 2, "repeatable": True},
]


def adjusted(*codes_and_dates: tuple[str, str, str | None]) -> oracle.Holder:
    return oracle.holder(
        records(
            adjustments=[
                {"code": code, "effective_from": start, "effective_to": end}
                for code, start, end in codes_and_dates
            ]
        )
    )


@pytest.mark.parametrize(
    ("recorded", "items"),
    [
        # a code counts once unless repeatable; catalogue order; 0-point entries listed
        ([("veteran", "2019-01-01", None), ("college_degree", "2019-01-01", None),
          ("college_degree", "2020-01-01", None)],
         [{"code": "college_degree", "points": 10}, {"code": "veteran", "points": 0}]),
        ([("child", "2019-01-01", None), ("child", "2020-01-01", None),
          ("child", "2020-01-01", "2021-01-01")],
         [{"code": "child", "points": 4, "count": 2}]),
        ([("astronaut", "2019-01-01", None)], []),  # not in the catalogue
        ([("college_degree", "2022-03-01", None)], [{"code": "college_degree", "points": 10}]),
        ([("college_degree", "2019-01-01", "2022-03-01")], []),  # effective_to exclusive
        ([("college_degree", "2022-03-02", None)], []),
    ],
)  # fmt: skip
def test_adjustment_items(recorded: list[tuple[str, str, str | None]], items: list[Any]) -> None:
    with_catalogue = {**EXAMPLE, "adjustments": CATALOGUE}
    assert oracle.adjustment_items(adjusted(*recorded), with_catalogue, D("2022-03-01")) == items


def test_a_negative_total_is_floored_at_zero() -> None:
    h = oracle.holder(
        records(
            residence=[home("2016-01-01")],
            adjustments=[{"code": "false_materials", "effective_from": "2019-01-01"}],
        )
    )
    f = oracle.facts(h, EXAMPLE, D("2022-03-01"))
    assert (f.residence_points, f.adjustment_points, f.total_points) == (12, -20, 0)


@pytest.mark.parametrize(
    ("permit", "on", "valid"),
    [
        (("2019-03-01", "2027-02-28", "active"), "2019-03-01", True),
        (("2019-03-01", "2027-02-28", "active"), "2027-02-28", True),  # inclusive
        (("2019-03-01", "2027-02-28", "active"), "2027-03-01", False),
        (("2019-03-01", "2027-02-28", "active"), "2019-02-28", False),
        (("2019-03-01", "2027-02-28", "suspended"), "2022-03-01", False),
        (("2019-03-01", "2027-02-28", "revoked"), "2022-03-01", False),
    ],
)
def test_permit_valid(permit: tuple[str, str, str], on: str, valid: bool) -> None:
    assert oracle.permit_valid(oracle.holder(records(permit)).permit, D(on)) is valid


@pytest.mark.parametrize(
    ("periods", "on", "expected"),
    [
        ([home("2018-01-01"), home("2020-01-01", district=YANGXI)], "2021-01-01", 1),
        ([home("2020-01-01", district=YANGXI), home("2020-01-01", district=YANGDONG)],
         "2021-01-01", 0),  # equal starts: the one recorded first
        ([home("2018-01-01"), home("2020-01-01", "2021-01-01", district=YANGXI)],
         "2021-01-01", 0),  # the later one has ended: end exclusive
        ([home("2018-01-01"), home("2021-01-01", district=YANGXI)], "2021-01-01", 1),
        ([home("2018-01-01"), home("2020-01-01", district=GUANGZHOU)], "2021-01-01", 0),
        ([home("2022-01-01")], "2021-01-01", None),
    ],
)  # fmt: skip
def test_current_residence(periods: list[Any], on: str, expected: int | None) -> None:
    h = oracle.holder(records(residence=periods))
    current = oracle.current_residence(h, "441700", D(on))
    assert current == (h.residence[expected] if expected is not None else None)


# --- SPEC §6.3-§6.4: requirements, levels, missing ---------------------------------------------

SETTLEMENT = EXAMPLE["domains"]["settlement"][0]["requires"]


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        # rules.md §11: home in Jiangcheng, 20 insurance months, no degree
        (records(residence=[home("2020-01-01")], insurance=[paid("2020-07", "2022-02")]),
         {"any_of": [{"district": {"not_in": [JIANGCHENG, YANGDONG]}}, {"insurance_months": 16},
                     {"adjustments": ["college_degree"]}]}),
        # rules.md §11: no residence in the city, no insurance, no degree
        (records(),
         {"any_of": [{"district": {"not_in": [JIANGCHENG, YANGDONG]}},
                     {"district": {"in": [JIANGCHENG, YANGDONG]}, "insurance_months": 36},
                     {"adjustments": ["college_degree"]}]}),
        # SPEC §6.4: suspended permit, home in Yangxi: the permit alone
        (records(("2019-03-01", "2027-02-28", "suspended"),
                 residence=[home("2020-01-01", district=YANGXI)]),
         {"valid_permit": True}),
        # home in Yangxi with a valid permit: met
        (records(residence=[home("2020-01-01", district=YANGXI)]), {}),
    ],
)  # fmt: skip
def test_missing_of_the_example_settlement(situation: dict[str, Any], expected: Any) -> None:
    f = oracle.facts(situation, EXAMPLE, D("2022-03-01"))
    assert oracle.missing(SETTLEMENT, f) == expected
    assert oracle.tier_met(SETTLEMENT, f) is (expected == {})


def facts(**changes: Any) -> oracle.Facts:
    base = {
        "residence_months": 49, "insurance_months": 46, "residence_points": 8,
        "insurance_points": 9, "adjustment_points": 10, "items": (), "total_points": 27,
        "permit_valid": True, "current_district": JIANGCHENG, "current_housing": "rented",
        "current_area_kind": None, "active_codes": frozenset({"college_degree"}),
    }  # fmt: skip
    return oracle.Facts(**{**base, **changes})


@pytest.mark.parametrize(
    ("requires", "situation", "expected"),
    [
        # rules.md §9's table of valid_permit inside any_of
        ({"any_of": [{}]}, facts(permit_valid=False), {"valid_permit": True}),
        ({"any_of": [{"valid_permit": False}]}, facts(permit_valid=False), {"valid_permit": True}),
        ({"valid_permit": False, "any_of": [{}]}, facts(permit_valid=False), {}),
        ({"valid_permit": False, "any_of": [{"valid_permit": True}]}, facts(permit_valid=False),
         {"any_of": [{"valid_permit": True}]}),
        # rules.md §11: an alternative's own valid_permit: true under a tier that needs it too
        # is left out of the alternatives
        ({"any_of": [{"valid_permit": True}]}, facts(permit_valid=False), {"valid_permit": True}),
        # not met with no current period, no housing, no area kind
        ({"current_district_not_in": [YANGXI]}, facts(current_district=None),
         {"district": {"not_in": [YANGXI]}}),
        ({"current_district_in": [YANGXI], "current_district_not_in": [JIANGCHENG]}, facts(),
         {"district": {"in": [YANGXI], "not_in": [JIANGCHENG]}}),
        ({"current_housing_in": ["owned"]}, facts(current_housing=None), {"housing": ["owned"]}),
        ({"current_area_kind_in": ["town"]}, facts(), {"area_kinds": ["town"]}),
        ({"current_area_kind_in": ["town"]}, facts(current_area_kind="town"), {}),
        ({"min_points": 40, "min_residence_months": 60, "min_insurance_months": 60}, facts(),
         {"points": 13, "residence_months": 11, "insurance_months": 14}),
        ({"min_points": 10, "any_of": [{"adjustments_any": ["veteran"]}]}, facts(total_points=5),
         {"points": 5, "any_of": [{"adjustments": ["veteran"]}]}),
    ],
)  # fmt: skip
def test_requirements(requires: dict[str, Any], situation: oracle.Facts, expected: Any) -> None:
    assert oracle.missing(requires, situation) == expected
    assert oracle.tier_met(requires, situation) is (expected == {})


def test_a_level_needs_every_tier_below() -> None:
    tiers = [{"requires": {"min_points": p}} for p in (0, 1000, 0)]  # tier 3 holds, tier 2 not
    assert oracle.levels({"domains": {"d": tiers, "none": []}}, facts()) == {"d": 1, "none": 0}


# --- SPEC §6.4: projection ---------------------------------------------------------------------


def housing_tier(requires: dict[str, Any]) -> dict[str, Any]:
    housing = [{**EXAMPLE["domains"]["housing"][0], "requires": requires}]
    return {**EXAMPLE, "domains": {**EXAMPLE["domains"], "housing": housing}}


@pytest.mark.parametrize(
    ("requires", "situation", "expected"),
    [
        ({"min_residence_months": 24}, records(residence=[home("2021-03-01")]), "2023-03-01"),
        # a future period from a month's last day: its first anniversary clamps
        ({"min_residence_months": 1}, records(residence=[home("2023-01-31")]), "2023-02-28"),
        # an insurance month counts once it has ended
        ({"min_insurance_months": 1}, records(insurance=[paid("2022-05")]), "2022-06-01"),
        # a permit valid at D stays valid past its valid_until
        ({"min_residence_months": 120},
         records(("2021-03-01", "2022-03-31", "active"), residence=[home("2021-03-01")]),
         "2031-03-01"),
        # one issued after D is valid from issued_on, and only until valid_until
        ({}, records(("2022-08-15", "2023-08-14", "active")), "2022-08-15"),
        ({"min_residence_months": 24},
         records(("2022-08-15", "2023-02-28", "active"), residence=[home("2021-03-01")]), None),
        ({}, records(("2019-03-01", "2027-02-28", "suspended")), None),
        # the horizon: D + 50 years = D + 600 months is the last day looked at
        ({"min_residence_months": 600}, records(residence=[home("2022-03-01")]), "2072-03-01"),
        ({"min_residence_months": 601}, records(residence=[home("2022-03-01")]), None),
    ],
)  # fmt: skip
def test_projected_on(requires: dict[str, Any], situation: Any, expected: str | None) -> None:
    d = D("2022-03-01")
    on = D(expected) if expected else None
    assert oracle.projected_on(situation, housing_tier(requires), d)["housing"] == on
    # the candidate dates of SPEC §6.4 find what a scan of every day finds
    if on is not None and on <= D("2024-03-01"):
        days = oracle.every_day(d, D("2024-03-01"))
        assert oracle.projected_on(situation, housing_tier(requires), d, days)["housing"] == on


def test_the_horizon_of_a_leap_day() -> None:
    leap = D("2024-02-29")
    situation = records(residence=[home("2024-02-29")])
    # 2024-02-29 + 600 months = 2074-02-28 = D + 50 years, just inside
    projected = oracle.projected_on(situation, housing_tier({"min_residence_months": 600}), leap)
    assert projected["housing"] == D("2074-02-28")


# --- every policy file's own test cases (SPEC §5) ----------------------------------------------

POLICY_FILES = sorted(
    [
        *(p for p in (ROOT / "app").rglob("*.yaml") if "domains" in load(p)),
        ROOT / "tests" / "fixtures" / "example_policy.yaml",
        *(ROOT / "docs" / "examples").glob("*.yaml"),
    ]
)
CASES = [(path, case) for path in POLICY_FILES for case in load(path)["tests"]]


def test_there_are_policy_files() -> None:
    assert len(POLICY_FILES) >= 3


@pytest.mark.parametrize(("path", "case"), CASES, ids=[f"{p.name}: {c['name']}" for p, c in CASES])
def test_policy_cases(path: Path, case: dict[str, Any]) -> None:
    """The outputs the policy authors wrote from their documents' words, checked by the oracle
    (the engine runs the same cases when a policy is published)."""
    policy, as_of = load(path), case["as_of"]
    f = oracle.facts(case["input"], policy, as_of)
    expected = case["output"]
    for key in ("total_points", "residence_months", "insurance_months", "permit_valid"):
        if key in expected:
            assert getattr(f, key) == expected[key], key
    levels = oracle.levels(policy, f)
    for domain, level in expected.get("levels", {}).items():
        assert levels[domain] == level, domain
    if "projected_on" in expected:  # a projection looks 50 years ahead: only when asked
        projected = oracle.projected_on(case["input"], policy, as_of)
        for domain, on in expected["projected_on"].items():
            assert projected[domain] == on, domain
