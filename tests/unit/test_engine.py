"""SPEC §6 counting and §7 score answers, with the spec's own numbers."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.domain.calendar import Month
from app.domain.codes import jurisdiction_prefix
from app.domain.policy import InsuranceIndicator, Policy, Requirements, ResidenceIndicator
from app.engine import (
    AdjustmentRecord,
    Facts,
    InsurancePeriod,
    Permit,
    Records,
    ResidencePeriod,
    active_adjustments,
    current_residence,
    insurance_months,
    levels,
    missing,
    permit_valid,
    records_from_dicts,
    requirements_met,
    residence_months,
    run_policy_case,
    score,
)
from app.policies.document import load_policy_yaml, parse_policy
from tests.worked_example import SPEC_SCORE_JSON

FIXTURE = Path(__file__).parents[1] / "fixtures" / "example_policy.yaml"
EXAMPLE = load_policy_yaml(FIXTURE.read_text(encoding="utf-8"), FIXTURE.name)
JIANGCHENG, YANGDONG, YANGXI, GUANGZHOU = "441702", "441704", "441721", "440100"


def variant(change: Callable[[dict[str, Any]], None]) -> Policy:
    """The example policy with one change made to its served document."""
    data = EXAMPLE.served()
    change(data)
    return parse_policy(data, "variant")


def m(text: str) -> Month:
    return Month.parse(text)


def residence(
    start: str, end: str | None = None, district: str = JIANGCHENG, housing: str = "other"
):
    return ResidencePeriod(
        district, date.fromisoformat(start), date.fromisoformat(end) if end else None, housing
    )


def insurance(first: str, last: str | None = None, type_: str = "pension", district=JIANGCHENG):
    return InsurancePeriod(district, type_, m(first), m(last) if last else None)


def adjustment(code: str, start: str, end: str | None = None) -> AdjustmentRecord:
    return AdjustmentRecord(
        code, date.fromisoformat(start), date.fromisoformat(end) if end else None
    )


ACTIVE_PERMIT = Permit(date(2019, 3, 1), date(2027, 2, 28), "active")

# SPEC §6.5: the worked example's records.
WORKED_EXAMPLE = Records(
    permit=ACTIVE_PERMIT,
    residence_periods=(
        residence("2018-01-31", "2020-06-01"),
        residence("2020-05-20"),
        residence("2010-01-01", "2018-01-01", district=GUANGZHOU),
    ),
    insurance_periods=(
        insurance("2018-03", "2021-12"),
        insurance("2022-03"),
        insurance("2015-01", type_="medical"),
    ),
    adjustments=(adjustment("college_degree", "2019-01-01"),),
)


# --- SPEC §6.5 worked example ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "residence_months", "insurance_months", "points", "education", "projected"),
    [
        ("2022-03-01", 49, 46, (8, 9, 10), 2, date(2024, 5, 1)),
        ("2022-07-01", 53, 50, (8, 12, 10), 2, date(2024, 5, 1)),
        ("2026-11-22", 105, 102, (16, 24, 10), 3, None),
    ],
)
def test_worked_example(
    as_of: str,
    residence_months: int,
    insurance_months: int,
    points: tuple[int, int, int],
    education: int,
    projected: date | None,
) -> None:
    result = score(WORKED_EXAMPLE, EXAMPLE, date.fromisoformat(as_of))
    assert result.residence_months == residence_months
    assert result.insurance_months == insurance_months
    assert (result.residence.points, result.insurance.points, result.adjustments.points) == points
    assert result.total_points == sum(points)
    assert result.levels["education"] == education
    assert result.projected_on["education"] == projected


def assert_same_json(actual: Any, expected: Any, path: str = "$") -> None:
    """Equal values, and mappings with the same keys in the same order."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert list(actual) == list(expected), path
        for key in expected:
            assert_same_json(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same_json(a, e, f"{path}[{i}]")
    else:
        assert type(actual) is type(expected) and actual == expected, path


def test_score_json_is_the_spec_example() -> None:
    result = score(WORKED_EXAMPLE, EXAMPLE, date(2022, 3, 1))
    assert_same_json(result.to_json("6f1c0b52-9a4e-4f0b-8f5e-2d7f3c1a9b10"), SPEC_SCORE_JSON)


def test_a_simulation_answers_a_null_holder_id() -> None:
    answer = score(WORKED_EXAMPLE, EXAMPLE, date(2022, 3, 1)).to_json(None)
    assert "holder_id" in answer and answer["holder_id"] is None


@pytest.mark.parametrize("case", EXAMPLE.tests, ids=[c.name for c in EXAMPLE.tests])
def test_the_example_policy_cases_pass(case: Any) -> None:
    assert run_policy_case(EXAMPLE, case) == []


def test_a_failing_case_says_what_differs() -> None:
    case = EXAMPLE.tests[0].model_copy(
        update={"output": EXAMPLE.tests[0].output.model_copy(update={"total_points": 5})}
    )
    assert run_policy_case(EXAMPLE, case) == [f"{case.name}: total_points: expected 5, got 0"]


# --- SPEC §6.1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "prefix"),
    [("441700", "4417"), ("310000", "31"), ("441702", "441702"), ("110100", "1101")],
)
def test_jurisdiction_prefix_drops_trailing_00_pairs(code: str, prefix: str) -> None:
    assert jurisdiction_prefix(code) == prefix


def test_a_municipality_counts_all_its_districts() -> None:
    cumulative = ResidenceIndicator(points_per_year=1, cap=10)
    periods = [ResidencePeriod("310101", date(2020, 1, 1), None), residence("2019-01-01")]
    assert residence_months(periods, date(2021, 1, 1), "310000", cumulative) == 12
    # 441702 is not in Shanghai; 310101 is not in Yangjiang.
    assert residence_months(periods, date(2021, 1, 1), "441700", cumulative) == 24


# --- SPEC §6.2 residence -----------------------------------------------------------------------

CUMULATIVE = ResidenceIndicator(points_per_year=2, cap=20)
CONTINUOUS_30 = ResidenceIndicator(
    points_per_year=2, cap=20, counting="continuous", max_gap_days=30
)


@pytest.mark.parametrize(
    ("periods", "as_of", "expected"),
    [
        ([residence("2024-01-31", "2024-02-29")], "2025-01-01", 1),  # Jan 31 + 1 = Feb 29
        ([residence("2024-01-31", "2024-02-28")], "2025-01-01", 0),
        ([residence("2024-01-31")], "2024-03-01", 1),
        ([residence("2020-02-29")], "2021-02-28", 12),  # leap-day anniversary clamps
        ([residence("2020-02-29")], "2021-02-27", 11),
        # touching periods merge: one interval of 2 months, not 0 + 1
        ([residence("2020-01-15", "2020-02-10"), residence("2020-02-10", "2020-03-15")],
         "2021-01-01", 2),
        # a day apart: two intervals, 0 + 1
        ([residence("2020-01-15", "2020-02-10"), residence("2020-02-11", "2020-03-15")],
         "2021-01-01", 1),
        # overlapping periods count once: 8 months, not 6 + 6
        ([residence("2020-01-01", "2020-07-01"), residence("2020-03-01", "2020-09-01")],
         "2021-01-01", 8),
        ([residence("2020-01-01", "2020-07-01"), residence("2020-02-01", "2020-03-01")],
         "2021-01-01", 6),  # one period inside another
        ([residence("2020-01-01")], "2021-01-01", 12),  # ongoing
        ([residence("2020-01-01")], "2020-12-31", 11),  # D itself is not complete
        ([residence("2020-01-01", "2030-01-01")], "2021-01-01", 12),  # clipped at D
        ([residence("2020-01-01")], "2019-06-01", 0),  # D before any record
        ([residence("2020-01-01")], "2020-01-01", 0),  # D equal to the start
        ([residence("2010-01-01", district=GUANGZHOU)], "2021-01-01", 0),  # other city
        ([], "2021-01-01", 0),
    ],
)  # fmt: skip
def test_residence_months_cumulative(
    periods: list[ResidencePeriod], as_of: str, expected: int
) -> None:
    assert residence_months(periods, date.fromisoformat(as_of), "441700", CUMULATIVE) == expected


@pytest.mark.parametrize(
    ("periods", "as_of", "expected"),
    [
        # a gap of exactly 30 days joins the run: 12 + 12
        ([residence("2019-01-01", "2020-01-01"), residence("2020-01-31")], "2021-01-31", 24),
        # one day more: only the latest run, [2020-02-01, 2021-01-31) = 11
        ([residence("2019-01-01", "2020-01-01"), residence("2020-02-01")], "2021-01-31", 11),
        # the run ended 30 days before D: still counts
        ([residence("2019-01-01", "2020-01-01")], "2020-01-31", 12),
        # 31 days before D: 0
        ([residence("2019-01-01", "2020-01-01")], "2020-02-01", 0),
        # gap days never count: 5 + 5, not the 11 months from first start to D
        ([residence("2019-01-01", "2019-06-01"), residence("2019-06-21", "2019-12-01")],
         "2019-12-01", 10),
        ([residence("2019-01-01")], "2020-01-01", 12),  # ongoing: gap 0
        ([residence("2019-01-01", district=GUANGZHOU)], "2020-01-01", 0),
    ],
)  # fmt: skip
def test_residence_months_continuous(
    periods: list[ResidencePeriod], as_of: str, expected: int
) -> None:
    assert residence_months(periods, date.fromisoformat(as_of), "441700", CONTINUOUS_30) == expected


def test_residence_continuous_with_no_gap_allowed_still_merges_touching_periods() -> None:
    no_gap = ResidenceIndicator(points_per_year=1, cap=9, counting="continuous", max_gap_days=0)
    touching = [residence("2019-01-01", "2019-07-01"), residence("2019-07-01")]
    one_day_apart = [residence("2019-01-01", "2019-07-01"), residence("2019-07-02")]
    assert residence_months(touching, date(2020, 1, 1), "441700", no_gap) == 12
    assert residence_months(one_day_apart, date(2020, 1, 1), "441700", no_gap) == 5


# --- SPEC §6.2 insurance -----------------------------------------------------------------------

ALL_TYPES = InsuranceIndicator(points_per_year=3, cap=45)
PENSION = InsuranceIndicator(types=["pension"], points_per_year=3, cap=45)
CONTINUOUS_3 = InsuranceIndicator(
    types=["pension"], points_per_year=3, cap=45, counting="continuous", max_gap_months=3
)


@pytest.mark.parametrize(
    ("indicator", "periods", "as_of", "expected"),
    [
        # distinct months over every type: 2020-01..2021-03
        (ALL_TYPES, [insurance("2020-01", "2020-12"), insurance("2020-06", "2021-03", "medical")],
         "2021-04-01", 15),
        (ALL_TYPES, [insurance("2020-01", "2020-12"), insurance("2020-06", "2021-03", "medical")],
         "2021-03-31", 14),  # 2021-03 has not ended
        (PENSION, [insurance("2020-01", "2020-12"), insurance("2020-06", "2021-03", "medical")],
         "2021-04-01", 12),  # medical is not counted
        (PENSION, [insurance("2020-01", "2020-12"), insurance("2020-01", "2020-12")],
         "2021-04-01", 12),  # overlapping records never count twice
        (PENSION, [insurance("2026-01")], "2026-11-22", 10),  # counts up to 2026-10
        (PENSION, [insurance("2026-01")], "2026-11-01", 10),  # October has ended on Nov 1
        (PENSION, [insurance("2026-01")], "2026-10-31", 9),
        (PENSION, [insurance("2026-01")], "2026-01-31", 0),  # D equal to the first month
        (PENSION, [insurance("2026-01")], "2025-06-01", 0),  # D before any record
        (PENSION, [insurance("2020-01", district=GUANGZHOU)], "2026-01-01", 0),
        # SPEC §6.5: a gap of 2 months is within 3
        (CONTINUOUS_3, [insurance("2018-03", "2021-12"), insurance("2022-03")], "2022-03-01", 46),
        (CONTINUOUS_3, [insurance("2018-03", "2021-12"), insurance("2022-03")], "2022-07-01", 50),
        # a gap of exactly 3 months joins, 4 does not
        (CONTINUOUS_3, [insurance("2018-03", "2021-12"), insurance("2022-04")], "2022-05-01", 47),
        (CONTINUOUS_3, [insurance("2018-03", "2021-12"), insurance("2022-05")], "2022-06-01", 1),
        # the latest counted month 3 months before the last ended month still counts; 4 not
        (CONTINUOUS_3, [insurance("2018-03", "2021-12")], "2022-04-01", 46),
        (CONTINUOUS_3, [insurance("2018-03", "2021-12")], "2022-05-01", 0),
    ],
)  # fmt: skip
def test_insurance_months(
    indicator: InsuranceIndicator, periods: list[InsurancePeriod], as_of: str, expected: int
) -> None:
    assert insurance_months(periods, date.fromisoformat(as_of), "441700", indicator) == expected


def test_points_stop_at_the_cap() -> None:
    long_holder = Records(ACTIVE_PERMIT, residence_periods=(residence("2000-01-01"),))
    result = score(long_holder, EXAMPLE, date(2022, 3, 1))
    assert result.residence.full_years == 22
    assert result.residence.points == 20  # min(20, 2 × 22)
    assert result.residence.cap == 20


# --- SPEC §6.3 adjustments, total --------------------------------------------------------------

WITH_CHILD_AND_VETERAN = variant(
    lambda d: d["adjustments"].extend(
        [
            {"code": "veteran", "points": 0, "name": {"zh": "退役军人", "en": "Veteran"}},
            {"code": "child", "points": 2, "repeatable": True,
             "name": {"zh": "子女", "en": "Child"}},
        ]
    )
)  # fmt: skip


@pytest.mark.parametrize(
    ("records", "items", "points"),
    [
        ([adjustment("college_degree", "2019-01-01")],
         [{"code": "college_degree", "points": 10}], 10),
        # a non-repeatable code counts once, with no count
        ([adjustment("college_degree", "2019-01-01"), adjustment("college_degree", "2020-01-01")],
         [{"code": "college_degree", "points": 10}], 10),
        # repeatable: count n, n × points
        ([adjustment("child", "2019-01-01"), adjustment("child", "2020-01-01"),
          adjustment("child", "2020-01-01", "2021-01-01")],
         [{"code": "child", "points": 4, "count": 2}], 4),
        # 0-point qualifications are listed; catalogue order, not record order
        ([adjustment("veteran", "2019-01-01"), adjustment("college_degree", "2019-01-01")],
         [{"code": "college_degree", "points": 10}, {"code": "veteran", "points": 0}], 10),
        # unknown codes are ignored
        ([adjustment("astronaut", "2019-01-01")], [], 0),
        # effective_from is inclusive, effective_to exclusive
        ([adjustment("college_degree", "2022-03-01")], [{"code": "college_degree", "points": 10}],
         10),
        ([adjustment("college_degree", "2019-01-01", "2022-03-01")], [], 0),
        ([adjustment("college_degree", "2022-03-02")], [], 0),
        # the component is the sum before the total is floored
        ([adjustment("false_materials", "2019-01-01")], [{"code": "false_materials", "points": -20}],
         -20),
    ],
)  # fmt: skip
def test_adjustments_component(
    records: list[AdjustmentRecord], items: list[dict[str, Any]], points: int
) -> None:
    holder = Records(ACTIVE_PERMIT, adjustments=tuple(records))
    result = score(holder, WITH_CHILD_AND_VETERAN, date(2022, 3, 1))
    component = result.to_json(None)["components"][2]
    items_without_reference = [
        {k: v for k, v in item.items() if k != "reference"} for item in component["items"]
    ]
    assert items_without_reference == items
    assert component["points"] == points
    assert result.total_points == max(0, points)


def test_active_adjustments_count_records_per_code() -> None:
    active = active_adjustments(
        [adjustment("child", "2019-01-01")] * 3,
        date(2020, 1, 1),
        WITH_CHILD_AND_VETERAN.adjustments,
    )
    assert [(a.entry.code, a.count, a.points) for a in active] == [("child", 3, 6)]


def test_negative_total_is_floored_at_zero() -> None:
    holder = Records(
        ACTIVE_PERMIT,
        residence_periods=(residence("2016-01-01"),),
        adjustments=(adjustment("false_materials", "2019-01-01"),),
    )
    result = score(holder, EXAMPLE, date(2022, 3, 1))
    assert result.residence.points == 12
    assert result.adjustments.points == -20
    assert result.total_points == 0


def test_reference_shown_where_the_policy_gives_one() -> None:
    policy = variant(
        lambda d: d["indicators"]["residence"].update(
            reference={"document": "D", "clause": "1", "basis": "stated"}
        )
    )
    components = score(WORKED_EXAMPLE, policy, date(2022, 3, 1)).to_json(None)["components"]
    assert components[0]["reference"] == {"document": "D", "clause": "1", "basis": "stated"}
    assert "reference" not in components[1]


# --- SPEC §6.3 permit and current residence ----------------------------------------------------


@pytest.mark.parametrize(
    ("permit", "on", "valid"),
    [
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "active"), "2022-03-01", True),
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "active"), "2019-03-01", True),
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "active"), "2027-02-28", True),  # inclusive
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "active"), "2027-03-01", False),  # expired
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "active"), "2019-02-28", False),  # not yet
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "suspended"), "2022-03-01", False),
        (Permit(date(2019, 3, 1), date(2027, 2, 28), "revoked"), "2022-03-01", False),
    ],
)
def test_permit_validity(permit: Permit, on: str, valid: bool) -> None:
    assert permit_valid(permit, date.fromisoformat(on)) is valid


@pytest.mark.parametrize(
    ("periods", "on", "expected"),
    [
        # the latest start wins
        ([residence("2018-01-01", housing="rented"), residence("2020-01-01", district=YANGXI)],
         "2021-01-01", 1),
        # equal starts: the one recorded first
        ([residence("2020-01-01", district=YANGXI), residence("2020-01-01", district=YANGDONG)],
         "2021-01-01", 0),
        # an ended period is not current (end exclusive); the earlier one still is
        ([residence("2018-01-01"), residence("2020-01-01", "2021-01-01", district=YANGXI)],
         "2021-01-01", 0),
        # a start on D is current
        ([residence("2018-01-01"), residence("2021-01-01", district=YANGXI)], "2021-01-01", 1),
        # other jurisdictions are never current
        ([residence("2018-01-01"), residence("2020-01-01", district=GUANGZHOU)], "2021-01-01", 0),
        ([residence("2020-01-01", district=GUANGZHOU)], "2021-01-01", None),
        ([residence("2022-01-01")], "2021-01-01", None),
    ],
)  # fmt: skip
def test_current_residence(periods: list[ResidencePeriod], on: str, expected: int | None) -> None:
    current = current_residence(periods, date.fromisoformat(on), "4417")
    assert current is (periods[expected] if expected is not None else None)


# --- SPEC §6.3 requirements and §6.4 missing ---------------------------------------------------

BASE_FACTS = Facts(
    total_points=27,
    residence_months=49,
    insurance_months=46,
    permit_valid=True,
    current_district=JIANGCHENG,
    current_housing="rented",
    current_area_kind="subdistrict",
    active_codes=frozenset({"college_degree"}),
)


def facts(**changes: Any) -> Facts:
    return BASE_FACTS._replace(**changes)


@pytest.mark.parametrize(
    ("requires", "changes", "expected_missing"),
    [
        ({}, {}, {}),
        ({}, {"permit_valid": False}, {"valid_permit": True}),  # valid_permit defaults to true
        ({"valid_permit": False}, {"permit_valid": False}, {}),
        ({"min_points": 27}, {}, {}),
        ({"min_points": 40}, {}, {"points": 13}),
        ({"min_residence_months": 60}, {}, {"residence_months": 11}),
        ({"min_insurance_months": 46}, {}, {}),
        ({"min_insurance_months": 60}, {}, {"insurance_months": 14}),
        ({"current_district_in": [JIANGCHENG]}, {}, {}),
        ({"current_district_in": [YANGXI]}, {}, {"district": {"in": [YANGXI]}}),
        ({"current_district_in": [YANGXI]}, {"current_district": None},
         {"district": {"in": [YANGXI]}}),
        ({"current_district_not_in": [YANGXI]}, {}, {}),
        ({"current_district_not_in": [JIANGCHENG]}, {}, {"district": {"not_in": [JIANGCHENG]}}),
        # not met when there is no current district
        ({"current_district_not_in": [JIANGCHENG]}, {"current_district": None},
         {"district": {"not_in": [JIANGCHENG]}}),
        ({"current_district_in": [YANGXI], "current_district_not_in": [JIANGCHENG]}, {},
         {"district": {"in": [YANGXI], "not_in": [JIANGCHENG]}}),
        ({"current_housing_in": ["rented", "owned"]}, {}, {}),
        ({"current_housing_in": ["owned"]}, {}, {"housing": ["owned"]}),
        ({"current_housing_in": ["owned"]}, {"current_housing": None}, {"housing": ["owned"]}),
        ({"current_area_kind_in": ["subdistrict"]}, {}, {}),
        ({"current_area_kind_in": ["town", "township"]}, {}, {"area_kinds": ["town", "township"]}),
        ({"current_area_kind_in": ["town"]}, {"current_area_kind": "town"}, {}),
        # not met when the current period records no township, or there is none
        ({"current_area_kind_in": ["town"]}, {"current_area_kind": None}, {"area_kinds": ["town"]}),
        ({"current_area_kind_in": ["town"]}, {"current_district": None, "current_area_kind": None},
         {"area_kinds": ["town"]}),
        ({"adjustments_any": ["college_degree"]}, {}, {}),
        ({"adjustments_any": ["college_degree"]}, {"active_codes": frozenset()},
         {"adjustments": ["college_degree"]}),
        ({"min_points": 40, "min_insurance_months": 60, "min_residence_months": 60},
         {"permit_valid": False},
         {"points": 13, "residence_months": 11, "insurance_months": 14, "valid_permit": True}),
    ],
)  # fmt: skip
def test_every_requirement_key(
    requires: dict[str, Any], changes: dict[str, Any], expected_missing: dict[str, Any]
) -> None:
    catalogue = {"college_degree"}  # adjustments_any codes are the example's
    assert set(requires.get("adjustments_any", [])) <= catalogue
    parsed = Requirements.model_validate(requires)
    situation = facts(**changes)
    assert missing(parsed, situation) == expected_missing
    assert requirements_met(parsed, situation) is (expected_missing == {})


SETTLEMENT = EXAMPLE.domains["settlement"][0].requires  # the §5 example's any_of


@pytest.mark.parametrize(
    ("changes", "expected_missing"),
    [
        # in a town: the first alternative holds
        ({"current_district": YANGXI, "active_codes": frozenset()}, {}),
        # city proper, 46 months of insurance: the second
        ({"active_codes": frozenset()}, {}),
        # city proper, 10 months, no degree: every alternative's own shortfalls, in order
        ({"insurance_months": 10, "active_codes": frozenset()},
         {"any_of": [{"district": {"not_in": [JIANGCHENG, YANGDONG]}},
                     {"insurance_months": 26},
                     {"adjustments": ["college_degree"]}]}),
        # no home at all
        ({"current_district": None, "insurance_months": 40, "active_codes": frozenset()},
         {"any_of": [{"district": {"not_in": [JIANGCHENG, YANGDONG]}},
                     {"district": {"in": [JIANGCHENG, YANGDONG]}},
                     {"adjustments": ["college_degree"]}]}),
        # SPEC §6.4: suspended permit in a town: the permit alone, no any_of
        ({"current_district": YANGXI, "permit_valid": False}, {"valid_permit": True}),
        # permit reported once, at the tier's level, left out of the alternatives
        ({"permit_valid": False, "insurance_months": 10, "active_codes": frozenset()},
         {"valid_permit": True,
          "any_of": [{"district": {"not_in": [JIANGCHENG, YANGDONG]}},
                     {"insurance_months": 26},
                     {"adjustments": ["college_degree"]}]}),
    ],
)  # fmt: skip
def test_any_of_missing(changes: dict[str, Any], expected_missing: dict[str, Any]) -> None:
    situation = facts(**changes)
    assert missing(SETTLEMENT, situation) == expected_missing
    assert requirements_met(SETTLEMENT, situation) is (expected_missing == {})


NO_PERMIT_TIER = Requirements.model_validate(
    {
        "valid_permit": False,
        "any_of": [
            {"current_housing_in": ["owned"]},  # inherits false: no permit needed
            {"valid_permit": True, "min_insurance_months": 6},  # needs the permit itself
        ],
    }
)


@pytest.mark.parametrize(
    ("changes", "expected_missing"),
    [
        ({"permit_valid": False, "current_housing": "owned"}, {}),
        ({"permit_valid": True}, {}),
        ({"permit_valid": False},
         {"any_of": [{"housing": ["owned"]}, {"valid_permit": True}]}),
        ({"permit_valid": False, "insurance_months": 2},
         {"any_of": [{"housing": ["owned"]}, {"insurance_months": 4, "valid_permit": True}]}),
    ],
)  # fmt: skip
def test_valid_permit_false_tiers(
    changes: dict[str, Any], expected_missing: dict[str, Any]
) -> None:
    situation = facts(**changes)
    assert missing(NO_PERMIT_TIER, situation) == expected_missing
    assert requirements_met(NO_PERMIT_TIER, situation) is (expected_missing == {})


def test_an_alternative_needing_no_permit_does_not_help_under_a_tier_that_needs_one() -> None:
    tier = Requirements.model_validate({"any_of": [{"valid_permit": False}]})
    assert not requirements_met(tier, facts(permit_valid=False))
    assert missing(tier, facts(permit_valid=False)) == {"valid_permit": True}


@pytest.mark.parametrize(
    ("tiers_met", "level"),
    [((False, True, True), 0), ((True, False, True), 1), ((True, True, False), 2),
     ((True, True, True), 3)],
)  # fmt: skip
def test_level_is_the_highest_with_every_tier_below_met(
    tiers_met: tuple[bool, bool, bool], level: int
) -> None:
    def tier(met: bool) -> dict[str, Any]:
        return {"min_points": 0 if met else 1000}

    def change(d: dict[str, Any]) -> None:
        for i, met in enumerate(tiers_met):
            d["domains"]["education"][i]["requires"] = tier(met)

    assert levels(variant(change), BASE_FACTS)["education"] == level


# --- SPEC §7 shape -----------------------------------------------------------------------------


def test_level_0_has_no_tier_and_no_services() -> None:
    holder = Records(Permit(date(2019, 3, 1), date(2027, 2, 28), "suspended"))
    answer = score(holder, EXAMPLE, date(2022, 3, 1)).to_json(None)
    education = answer["entitlements"][0]
    assert education["level"] == 0 and "tier" not in education and education["services"] == []
    assert education["next"]["missing"] == {"valid_permit": True}
    assert education["next"]["projected_on"] is None  # a suspended permit never comes back
    assert [e["domain"] for e in answer["entitlements"]] == [
        "education", "healthcare", "housing", "settlement"
    ]  # fmt: skip


def test_records_from_dicts_reads_simulation_shapes() -> None:
    records = records_from_dicts(
        {"issued_on": "2019-03-01", "valid_until": "2027-02-28", "status": "active"},
        [{"district": JIANGCHENG, "start_date": "2018-01-31", "end_date": "2020-06-01"},
         {"district": JIANGCHENG, "start_date": date(2020, 5, 20), "end_date": None,
          "housing": "owned", "source": "x"}],
        [{"district": JIANGCHENG, "type": "pension", "start_month": "2018-03",
          "end_month": Month(2021, 12)}],
        [{"code": "college_degree", "effective_from": "2019-01-01", "id": 7}],
    )  # fmt: skip
    assert records.permit == ACTIVE_PERMIT
    assert records.residence_periods == (
        residence("2018-01-31", "2020-06-01"),
        residence("2020-05-20", housing="owned"),
    )
    assert records.insurance_periods == (insurance("2018-03", "2021-12"),)
    assert records.adjustments == (adjustment("college_degree", "2019-01-01"),)
