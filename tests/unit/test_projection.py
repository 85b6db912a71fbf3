"""SPEC §6.4 projection: `projected_on` against a slow reference, the oracle of tests/oracle.py
(SPEC §6 read again, sharing no code with the engine: the candidate-date method recounting from
scratch on each date, and a day-by-day scan); and properties of the §6.2 counts on random
holders."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.calendar import Month
from app.domain.policy import InsuranceIndicator, Policy, ResidenceIndicator
from app.engine import (
    AdjustmentRecord,
    InsurancePeriod,
    Permit,
    Records,
    ResidencePeriod,
    facts_at,
    insurance_months,
    levels,
    missing,
    projected_on,
    residence_months,
    score,
)
from app.engine.projection import Timeline
from app.policies.document import load_policy_yaml, parse_policy
from tests import oracle

FIXTURE = Path(__file__).parents[1] / "fixtures" / "example_policy.yaml"
EXAMPLE = load_policy_yaml(FIXTURE.read_text(encoding="utf-8"), FIXTURE.name)
JIANGCHENG, YANGDONG, YANGXI, GUANGZHOU = "441702", "441704", "441721", "440100"
ACTIVE_PERMIT = Permit(date(2019, 3, 1), date(2027, 2, 28), "active")


def variant(change: Callable[[dict[str, Any]], None]) -> Policy:
    data = EXAMPLE.served()
    change(data)
    return parse_policy(data, "variant")


def only_tier(requires: dict[str, Any]) -> Policy:
    """The example policy whose housing domain is one tier with these requirements."""
    return variant(lambda d: d["domains"]["housing"][0].update(requires=requires))


# --- the slow reference: tests/oracle.py, which shares no code with the engine -----------------


def plain(records: Records) -> dict[str, Any]:
    """The engine's records as the oracle takes them (the shapes of SPEC §4), read attribute by
    attribute: the one place where the oracle meets the engine's types."""
    permit = records.permit
    return {
        "permit": {
            "issued_on": permit.issued_on,
            "valid_until": permit.valid_until,
            "status": permit.status,
        },
        "residence_periods": [
            {"district": p.district, "start_date": p.start_date, "end_date": p.end_date,
             "housing": p.housing, "township": p.township}
            for p in records.residence_periods
        ],
        "insurance_periods": [
            {"district": p.district, "type": p.type,
             "start_month": (p.start_month.year, p.start_month.month),
             "end_month": (p.end_month.year, p.end_month.month) if p.end_month else None}
            for p in records.insurance_periods
        ],
        "adjustments": [
            {"code": a.code, "effective_from": a.effective_from, "effective_to": a.effective_to}
            for a in records.adjustments
        ],
    }  # fmt: skip


def reference_projected_on(
    records: Records, policy: Policy, as_of: date, dates: Sequence[date] | None = None
) -> dict[str, date | None]:
    """The oracle's `projected_on`: the earliest of `dates` (SPEC §6.4's candidate dates unless
    given) on which a level exceeds today's, every date counted from scratch."""
    return oracle.projected_on(
        plain(records), policy.served(), as_of, list(dates) if dates is not None else None
    )


# --- tables ------------------------------------------------------------------------------------

WORKED_EXAMPLE = Records(
    permit=ACTIVE_PERMIT,
    residence_periods=(
        ResidencePeriod(JIANGCHENG, date(2018, 1, 31), date(2020, 6, 1)),
        ResidencePeriod(JIANGCHENG, date(2020, 5, 20), None),
        ResidencePeriod(GUANGZHOU, date(2010, 1, 1), date(2018, 1, 1)),
    ),
    insurance_periods=(
        InsurancePeriod(JIANGCHENG, "pension", Month(2018, 3), Month(2021, 12)),
        InsurancePeriod(JIANGCHENG, "pension", Month(2022, 3), None),
        InsurancePeriod(JIANGCHENG, "medical", Month(2015, 1), None),
    ),
    adjustments=(AdjustmentRecord("college_degree", date(2019, 1, 1), None),),
)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2022-03-01", {"education": date(2024, 5, 1), "healthcare": None,
                        "housing": date(2022, 5, 1), "settlement": None}),
        ("2022-07-01", {"education": date(2024, 5, 1), "healthcare": None, "housing": None,
                        "settlement": None}),
        ("2026-11-22", {"education": None, "healthcare": None, "housing": None,
                        "settlement": None}),
    ],
)  # fmt: skip
def test_worked_example_projection(as_of: str, expected: dict[str, date | None]) -> None:
    d = date.fromisoformat(as_of)
    assert projected_on(WORKED_EXAMPLE, EXAMPLE, d) == expected
    assert reference_projected_on(WORKED_EXAMPLE, EXAMPLE, d) == expected


def holder(
    permit: Permit = ACTIVE_PERMIT,
    residence: Sequence[ResidencePeriod] = (),
    insurance: Sequence[InsurancePeriod] = (),
    adjustments: Sequence[AdjustmentRecord] = (),
) -> Records:
    return Records(permit, tuple(residence), tuple(insurance), tuple(adjustments))


D = date(2022, 3, 1)
HOME = ResidencePeriod(JIANGCHENG, date(2021, 3, 1), None, "rented")


@pytest.mark.parametrize(
    ("name", "requires", "records", "expected"),
    [
        ("months grow on an open period: 2021-03-01 + 24 months",
         {"min_residence_months": 24}, holder(residence=[HOME]), date(2023, 3, 1)),
        ("a closed period stops growing",
         {"min_residence_months": 24},
         holder(residence=[ResidencePeriod(JIANGCHENG, date(2021, 3, 1), date(2022, 6, 1))]),
         None),
        ("a future period starts and grows",
         {"min_residence_months": 1},
         holder(residence=[ResidencePeriod(JIANGCHENG, date(2023, 1, 31), None)]),
         date(2023, 2, 28)),
        ("insurance: a month counts once it has ended",
         {"min_insurance_months": 1},
         holder(insurance=[InsurancePeriod(JIANGCHENG, "pension", Month(2022, 5), None)]),
         date(2022, 6, 1)),
        ("a permit valid at D stays valid past valid_until",
         {"min_residence_months": 120},
         holder(Permit(date(2021, 3, 1), date(2022, 3, 31), "active"), residence=[HOME]),
         date(2031, 3, 1)),
        ("a permit issued after D is valid from issued_on",
         {}, holder(Permit(date(2022, 8, 15), date(2023, 8, 14), "active")), date(2022, 8, 15)),
        ("... but only until valid_until",
         {"min_residence_months": 24},
         holder(Permit(date(2022, 8, 15), date(2023, 2, 28), "active"), residence=[HOME]), None),
        ("an expired permit stays expired",
         {}, holder(Permit(date(2019, 3, 1), date(2022, 2, 28), "active")), None),
        ("a suspended permit stays suspended",
         {}, holder(Permit(date(2019, 3, 1), date(2027, 2, 28), "suspended")), None),
        ("a qualification that starts later",
         {"adjustments_any": ["college_degree"]},
         holder(adjustments=[AdjustmentRecord("college_degree", date(2023, 7, 1), None)]),
         date(2023, 7, 1)),
        ("a deduction that ends",
         {"min_points": 1},
         holder(residence=[ResidencePeriod(JIANGCHENG, date(2010, 1, 1), None)],
                adjustments=[AdjustmentRecord("false_materials", date(2020, 1, 1),
                                              date(2024, 1, 1))]),
         date(2024, 1, 1)),
        ("a move into another district on its start date",
         {"current_district_in": [YANGXI]},
         holder(residence=[HOME, ResidencePeriod(YANGXI, date(2023, 5, 5), None)]),
         date(2023, 5, 5)),
        ("a later period ending makes the earlier one current again",
         {"current_district_in": [JIANGCHENG]},
         holder(residence=[HOME, ResidencePeriod(YANGXI, date(2022, 1, 1), date(2022, 9, 1))]),
         date(2022, 9, 1)),
        ("a home bought later",
         {"current_housing_in": ["owned"]},
         holder(residence=[HOME, ResidencePeriod(JIANGCHENG, date(2024, 1, 2), None, "owned")]),
         date(2024, 1, 2)),
        ("met on the last day of the horizon: D + 600 months",
         {"min_residence_months": 600},
         holder(residence=[ResidencePeriod(JIANGCHENG, D, None)]), date(2072, 3, 1)),
        ("one month past the horizon",
         {"min_residence_months": 601},
         holder(residence=[ResidencePeriod(JIANGCHENG, D, None)]), None),
        ("a repeatable... (here once) catalogue code that never comes",
         {"adjustments_any": ["college_degree"]}, holder(), None),
    ],
)  # fmt: skip
def test_projected_on(name: str, requires: dict[str, Any], records: Records, expected: Any) -> None:
    policy = only_tier(requires)
    assert levels(policy, facts_at(records, policy, D))["housing"] == 0, name
    assert projected_on(records, policy, D)["housing"] == expected, name
    assert reference_projected_on(records, policy, D)["housing"] == expected, name


def test_horizon_of_a_leap_day_is_february_28() -> None:
    leap = date(2024, 2, 29)
    policy = only_tier({"min_residence_months": 600})
    records = holder(residence=[ResidencePeriod(JIANGCHENG, leap, None)])
    # 2024-02-29 + 600 months = 2074-02-28 = D + 50 years: just inside
    assert projected_on(records, policy, leap)["housing"] == date(2074, 2, 28)
    assert reference_projected_on(records, policy, leap)["housing"] == date(2074, 2, 28)


def test_projection_of_a_continuous_run_that_lapses_and_restarts() -> None:
    policy = variant(
        lambda d: (
            d["indicators"]["residence"].update(counting="continuous", max_gap_days=10),
            d["domains"]["housing"][0].update(requires={"min_residence_months": 14}),
        )
    )
    records = holder(
        residence=[
            ResidencePeriod(JIANGCHENG, date(2021, 3, 1), date(2022, 4, 1)),  # 13 months
            ResidencePeriod(JIANGCHENG, date(2022, 4, 20), None),  # gap 19 days: a new run
        ]
    )
    # the new run reaches 14 months on 2023-06-20
    assert projected_on(records, policy, D)["housing"] == date(2023, 6, 20)
    assert reference_projected_on(records, policy, D)["housing"] == date(2023, 6, 20)


def continuous_policy(requires: dict[str, Any]) -> Policy:
    def change(d: dict[str, Any]) -> None:
        d["indicators"]["residence"].update(counting="continuous", max_gap_days=10)
        d["indicators"]["insurance"].update(counting="continuous", max_gap_months=2)
        d["domains"]["housing"][0]["requires"] = requires

    return variant(change)


@pytest.mark.parametrize(
    ("name", "requires", "records", "expected"),
    [
        ("residence run still counting when a qualification starts, 4 days after it ended",
         {"min_residence_months": 12, "adjustments_any": ["college_degree"]},
         holder(residence=[ResidencePeriod(JIANGCHENG, date(2021, 3, 1), date(2022, 4, 1))],
                adjustments=[AdjustmentRecord("college_degree", date(2022, 4, 5), None)]),
         date(2022, 4, 5)),
        ("... 11 days after: the run has lapsed",
         {"min_residence_months": 12, "adjustments_any": ["college_degree"]},
         holder(residence=[ResidencePeriod(JIANGCHENG, date(2021, 3, 1), date(2022, 4, 1))],
                adjustments=[AdjustmentRecord("college_degree", date(2022, 4, 12), None)]),
         None),
        ("insurance run still counting, 1 month after its last month",
         {"min_insurance_months": 12, "adjustments_any": ["college_degree"]},
         holder(insurance=[InsurancePeriod(JIANGCHENG, "pension", Month(2021, 1), Month(2022, 2))],
                adjustments=[AdjustmentRecord("college_degree", date(2022, 4, 10), None)]),
         date(2022, 4, 10)),
        ("... 2 months after",
         {"min_insurance_months": 12, "adjustments_any": ["college_degree"]},
         holder(insurance=[InsurancePeriod(JIANGCHENG, "pension", Month(2021, 1), Month(2022, 2))],
                adjustments=[AdjustmentRecord("college_degree", date(2022, 5, 31), None)]),
         date(2022, 5, 31)),
        ("... 3 months after: the run has lapsed",
         {"min_insurance_months": 12, "adjustments_any": ["college_degree"]},
         holder(insurance=[InsurancePeriod(JIANGCHENG, "pension", Month(2021, 1), Month(2022, 2))],
                adjustments=[AdjustmentRecord("college_degree", date(2022, 6, 1), None)]),
         None),
    ],
)  # fmt: skip
def test_projection_when_a_continuous_run_lapses(
    name: str, requires: dict[str, Any], records: Records, expected: date | None
) -> None:
    policy = continuous_policy(requires)
    assert projected_on(records, policy, D)["housing"] == expected, name
    assert reference_projected_on(records, policy, D)["housing"] == expected, name


def test_a_score_request_is_fast() -> None:
    import time

    policy = only_tier({"current_housing_in": ["owned"]})  # never met: the whole 50 years
    records = holder(
        residence=[HOME, ResidencePeriod(GUANGZHOU, date(2000, 1, 1), None)],
        insurance=[InsurancePeriod(JIANGCHENG, t, Month(2020, 1), None) for t in ("pension",)],
    )
    started = time.perf_counter()
    for _ in range(20):
        score(records, policy, D)
    assert (time.perf_counter() - started) / 20 < 0.02  # the candidate scan took ~25 ms


# --- properties --------------------------------------------------------------------------------

DISTRICTS = [JIANGCHENG, YANGDONG, YANGXI, GUANGZHOU]
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31))
months = st.builds(Month.of, days)


@st.composite
def residence_periods(draw: st.DrawFn) -> ResidencePeriod:
    start = draw(days)
    length = draw(st.none() | st.integers(min_value=1, max_value=1500))
    district = draw(st.sampled_from(DISTRICTS))
    # SPEC §4's kinds and the codes at their edges
    township = draw(st.sampled_from([None, "001", "099", "100", "101", "199", "200", "201",
                                     "399", "400", "401", "999"]))  # fmt: skip
    return ResidencePeriod(
        district,
        start,
        start + timedelta(days=length) if length else None,
        draw(st.sampled_from(["owned", "rented", "other"])),
        district + township if township else None,
    )


@st.composite
def insurance_periods(draw: st.DrawFn) -> InsurancePeriod:
    first = draw(months)
    length = draw(st.none() | st.integers(min_value=0, max_value=60))
    return InsurancePeriod(
        draw(st.sampled_from(DISTRICTS)),
        draw(st.sampled_from(["pension", "medical"])),
        first,
        first + length if length is not None else None,
    )


@st.composite
def adjustment_records(draw: st.DrawFn) -> AdjustmentRecord:
    start = draw(days)
    length = draw(st.none() | st.integers(min_value=1, max_value=2000))
    return AdjustmentRecord(
        draw(st.sampled_from(["college_degree", "false_materials", "veteran", "child", "other"])),
        start,
        start + timedelta(days=length) if length else None,
    )


@st.composite
def permits(draw: st.DrawFn) -> Permit:
    issued = draw(days)
    return Permit(
        issued,
        issued + timedelta(days=draw(st.integers(min_value=0, max_value=2000))),
        draw(st.sampled_from(["active", "active", "active", "suspended"])),
    )


@st.composite
def holders(draw: st.DrawFn) -> Records:
    return Records(
        draw(permits()),
        tuple(draw(st.lists(residence_periods(), max_size=4))),
        tuple(draw(st.lists(insurance_periods(), max_size=4))),
        tuple(draw(st.lists(adjustment_records(), max_size=3))),
    )


def rich_policy(residence: dict[str, Any], insurance: dict[str, Any]) -> Policy:
    """Every kind of requirement, in domains whose levels go up and down."""

    def change(d: dict[str, Any]) -> None:
        d["indicators"]["residence"] = {"points_per_year": 3, "cap": 12, **residence}
        d["indicators"]["insurance"] = {"points_per_year": 2, "cap": 10, **insurance}
        d["adjustments"] += [
            {"code": "veteran", "points": 0, "name": {"zh": "退役军人", "en": "Veteran"}},
            {"code": "child", "points": 1, "repeatable": True, "name": {"zh": "子", "en": "C"}},
        ]

        def tier(level: int, requires: dict[str, Any]) -> dict[str, Any]:
            name = {"zh": f"级{level}", "en": f"L{level}"}
            return {"level": level, "code": f"l{level}", "name": name, "services": [],
                    "requires": requires}  # fmt: skip

        d["domains"]["elderly"] = [
            tier(1, {"valid_permit": False, "current_housing_in": ["owned", "rented"]}),
            tier(2, {"min_residence_months": 18, "current_district_not_in": [JIANGCHENG]}),
            tier(3, {"min_points": 9, "min_insurance_months": 13}),
        ]
        d["domains"]["welfare"] = [
            tier(1, {"valid_permit": False, "any_of": [
                {"adjustments_any": ["veteran", "child"]},
                {"valid_permit": True, "min_insurance_months": 7},
                {"current_district_in": [YANGXI], "min_residence_months": 3}]}),
            tier(2, {"min_points": 5, "current_district_in": [JIANGCHENG, YANGDONG]}),
            tier(3, {"any_of": [{"current_area_kind_in": ["town", "township"]},
                                {"current_area_kind_in": ["subdistrict"], "min_insurance_months": 9}]}),
        ]  # fmt: skip

    return variant(change)


POLICIES = [
    EXAMPLE,
    rich_policy({}, {}),
    rich_policy({"counting": "continuous", "max_gap_days": 0}, {"types": ["pension"]}),
    rich_policy(
        {"counting": "continuous", "max_gap_days": 31},
        {"counting": "continuous", "max_gap_months": 2},
    ),
    rich_policy({}, {"counting": "continuous", "max_gap_months": 0, "types": ["medical"]}),
]
policies = st.sampled_from(POLICIES)
slow = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(holders(), policies, st.dates(min_value=date(2016, 1, 1), max_value=date(2024, 12, 31)))
def test_fast_projection_equals_the_candidate_date_reference(
    records: Records, policy: Policy, as_of: date
) -> None:
    assert projected_on(records, policy, as_of) == reference_projected_on(records, policy, as_of)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(holders(), policies, st.dates(min_value=date(2016, 1, 1), max_value=date(2024, 12, 31)))
def test_candidate_dates_miss_no_day(records: Records, policy: Policy, as_of: date) -> None:
    """Every day of the next three years checked: the first day a level rises is the answer."""
    window = [as_of + timedelta(days=n) for n in range(1, 3 * 366)]
    daily = reference_projected_on(records, policy, as_of, window)
    fast = projected_on(records, policy, as_of)
    for domain, first_day in daily.items():
        if first_day is not None:
            assert fast[domain] == first_day, domain
        else:
            assert fast[domain] is None or fast[domain] > window[-1], domain


# --- random policies: the engine against the oracle on every key of SPEC §6.3 ------------------

CITY = [JIANGCHENG, YANGDONG, YANGXI, "441781"]  # the example policy's districts
HOUSING = ["owned", "rented", "employer", "collective", "other"]
AREA_KINDS = ["subdistrict", "town", "township", "other"]
CATALOGUE_CODES = ["college_degree", "false_materials", "veteran", "child"]  # not "other"


def some_of(options: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(options), min_size=1, max_size=len(options), unique=True)


# A few keys of SPEC §6.3 with their values; `adjustments_any` takes the drawn catalogue's codes.
REQUIREMENT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "valid_permit": st.booleans(),
    "min_points": st.integers(0, 20),
    "min_residence_months": st.integers(0, 48),
    "min_insurance_months": st.integers(0, 48),
    "current_district_in": some_of(CITY),
    "current_district_not_in": some_of(CITY),
    "current_housing_in": some_of(HOUSING),
    "current_area_kind_in": some_of(AREA_KINDS),
}
REQUIREMENT_KEYS = st.lists(
    st.sampled_from([*REQUIREMENT_VALUES, "adjustments_any"]), max_size=3, unique=True
)


@st.composite
def requirement_maps(draw: st.DrawFn, codes: list[str], alternative: bool = False) -> dict:
    """A `requires` mapping of a few keys, `any_of` included unless it is an alternative."""
    requires = {
        key: draw(REQUIREMENT_VALUES[key]) if key in REQUIREMENT_VALUES else draw(some_of(codes))
        for key in draw(REQUIREMENT_KEYS)
        if key in REQUIREMENT_VALUES or codes
    }
    if alternative:
        return requires
    if draw(st.booleans()):  # half the tiers need no permit, so that the other keys matter
        requires["valid_permit"] = False
    if draw(st.booleans()):
        alternatives = st.lists(requirement_maps(codes, alternative=True), min_size=1, max_size=3)
        requires["any_of"] = draw(alternatives)
    return requires


@st.composite
def random_policies(draw: st.DrawFn) -> Policy:
    """The example policy with drawn indicators, catalogue and tiers (validated as published)."""
    residence: dict[str, Any] = {
        "points_per_year": draw(st.integers(0, 4)),
        "cap": draw(st.integers(0, 30)),
        "counting": draw(st.sampled_from(["cumulative", "continuous"])),
    }
    if residence["counting"] == "continuous":
        residence["max_gap_days"] = draw(st.integers(0, 60))
    insurance: dict[str, Any] = {
        "types": draw(st.lists(st.sampled_from(["pension", "medical", "maternity"]), unique=True)),
        "points_per_year": draw(st.integers(0, 4)),
        "cap": draw(st.integers(0, 30)),
        "counting": draw(st.sampled_from(["cumulative", "continuous"])),
    }
    if insurance["counting"] == "continuous":
        insurance["max_gap_months"] = draw(st.integers(0, 4))
    catalogue = [
        {"code": code, "points": draw(st.integers(-15, 15)), "repeatable": draw(st.booleans()),
         "name": {"zh": code, "en": code}}
        for code in draw(st.lists(st.sampled_from(CATALOGUE_CODES), unique=True))
    ]  # fmt: skip
    codes = [entry["code"] for entry in catalogue]

    def tiers() -> list[dict[str, Any]]:
        return [
            {"level": i + 1, "code": f"t{i + 1}", "name": {"zh": "级", "en": "L"}, "services": [],
             "requires": draw(requirement_maps(codes))}
            for i in range(draw(st.integers(0, 3)))
        ]  # fmt: skip

    def change(d: dict[str, Any]) -> None:
        d["indicators"] = {"residence": residence, "insurance": insurance}
        d["adjustments"] = catalogue
        d["domains"] = {name: tiers() for name in ("education", "healthcare", "housing",
                                                   "settlement", "elderly")}  # fmt: skip
        d["tests"] = d["tests"][:1]  # a case with no adjustment: any catalogue will do

    return variant(change)


any_policy = st.one_of(policies, random_policies())


@st.composite
def holders_on_their_dates(draw: st.DrawFn) -> tuple[Records, date]:
    """A holder, often with two residence periods that start on one day, and a date D that is
    often next to one of the holder's own dates or whole months after one: where a count, the
    current period or an adjustment changes, and where off-by-one mistakes show."""
    records = draw(holders())
    residence = [*records.residence_periods, draw(residence_periods())]
    if draw(st.booleans()):
        twin = draw(residence_periods())
        start = draw(st.sampled_from(residence)).start_date
        end = start + (twin.end_date - twin.start_date) if twin.end_date else None
        residence.insert(draw(st.integers(0, len(residence))), twin._replace(start_date=start,
                                                                       end_date=end))  # fmt: skip
    records = replace(records, residence_periods=tuple(residence))
    permit = records.permit
    own = {
        "permit": [permit.issued_on, permit.valid_until],
        "residence": [d for p in residence for d in (p.start_date, p.end_date) if d],
        "adjustment": [
            d for a in records.adjustments for d in (a.effective_from, a.effective_to) if d
        ],
        "insurance": [
            date(m.year, m.month, 1) for p in records.insurance_periods
            for m in (p.start_month, p.end_month + 1 if p.end_month else None) if m
        ],
    }  # fmt: skip
    kind = draw(st.sampled_from(["any", *(kind for kind, dates in own.items() if dates)]))
    if kind == "any":
        return records, draw(st.dates(min_value=date(2014, 1, 1), max_value=date(2027, 12, 31)))
    anchor = draw(st.sampled_from(own[kind]))
    if kind == "residence":  # anniversaries, where whole months grow
        anchor = oracle.add_months(anchor, draw(st.sampled_from([0, 0, 1, 12, 25])))
    return records, anchor + timedelta(days=draw(st.sampled_from([0, 0, -1, 1])))


def assert_same_as_the_oracle(records: Records, policy: Policy, as_of: date) -> None:
    """SPEC §6.2-§6.4 at D: every fact a requirement reads, the score's numbers, the levels and
    `missing` of each next tier, as the engine and the oracle count them."""
    served = policy.served()
    expected = oracle.facts(plain(records), served, as_of)
    facts = facts_at(records, policy, as_of)
    # The score counts D on the projection's timeline (built once for both): the same facts.
    assert Timeline(records, policy, as_of).facts(as_of) == facts
    assert facts.residence_months == expected.residence_months
    assert facts.insurance_months == expected.insurance_months
    assert facts.total_points == expected.total_points
    assert facts.permit_valid == expected.permit_valid
    assert facts.current_district == expected.current_district
    assert facts.current_housing == expected.current_housing
    assert facts.current_area_kind == expected.current_area_kind
    assert facts.active_codes == expected.active_codes
    result = score(records, policy, as_of)
    points = (result.residence.points, result.insurance.points, result.adjustments.points)
    assert points == (expected.residence_points, expected.insurance_points,
                      expected.adjustment_points)  # fmt: skip
    items = result.to_json(None)["components"][2]["items"]
    assert [{k: v for k, v in item.items() if k != "reference"} for item in items] == list(
        expected.items
    )
    assert result.total_points == expected.total_points
    assert result.levels == oracle.levels(served, expected)
    for domain, tiers in policy.domains.items():
        level = result.levels[domain]
        if level < len(tiers):
            wanted = oracle.missing(served["domains"][domain][level]["requires"], expected)
            assert missing(tiers[level].requires, facts) == wanted, domain
            (answered,) = [e.next for e in result.entitlements if e.domain == domain]
            assert answered is not None and answered.missing == wanted, domain


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(holders_on_their_dates(), any_policy)
def test_facts_levels_and_missing_equal_the_oracle(
    holder_and_day: tuple[Records, date], policy: Policy
) -> None:
    records, as_of = holder_and_day
    assert_same_as_the_oracle(records, policy, as_of)


def home_in(township: str) -> Records:
    return holder(residence=[ResidencePeriod(YANGXI, date(2020, 1, 1), None, "owned", township)])


@pytest.mark.parametrize(
    ("name", "records", "policy"),
    [
        ("an adjustment ending on D",
         holder(adjustments=[AdjustmentRecord("college_degree", date(2020, 1, 1), D)]), EXAMPLE),
        ("codes recorded twice: once unless repeatable",
         holder(adjustments=[AdjustmentRecord(code, date(2020, 1, 1), None)
                             for code in ("college_degree", "child") * 2]), POLICIES[1]),
        ("two homes started on one day: the one recorded first",
         holder(residence=[ResidencePeriod(YANGXI, date(2020, 1, 1), None),
                           ResidencePeriod(JIANGCHENG, date(2020, 1, 1), None, "owned")]),
         POLICIES[1]),
        ("the last subdistrict code", home_in(YANGXI + "099"), POLICIES[1]),
        ("the first town code", home_in(YANGXI + "100"), POLICIES[1]),
        ("the last township code", home_in(YANGXI + "399"), POLICIES[1]),
        ("the first other code", home_in(YANGXI + "400"), POLICIES[1]),
        ("a permit's last day", holder(Permit(date(2019, 3, 1), D, "active")), EXAMPLE),
        ("an insurance run 2 months before the last ended month: still counted",
         holder(insurance=[InsurancePeriod(JIANGCHENG, "pension", Month(2020, 1),
                                           Month(2021, 12))]), POLICIES[3]),
        ("... 3 months: broken",
         holder(insurance=[InsurancePeriod(JIANGCHENG, "pension", Month(2020, 1),
                                           Month(2021, 11))]), POLICIES[3]),
        ("a residence run on the last day of its 31-day gap",
         holder(residence=[ResidencePeriod(JIANGCHENG, date(2020, 1, 1), D - timedelta(31))]),
         POLICIES[3]),
    ],
)  # fmt: skip
def test_edges_equal_the_oracle(name: str, records: Records, policy: Policy) -> None:
    """The edges that random dates seldom hit, at D = 2022-03-01."""
    assert_same_as_the_oracle(records, policy, D)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    holders(), random_policies(), st.dates(min_value=date(2016, 1, 1), max_value=date(2024, 12, 31))
)
def test_projection_under_random_policies_equals_the_oracle(
    records: Records, policy: Policy, as_of: date
) -> None:
    """SPEC §6.4 under tiers that ask for any mix of keys, with or without a permit."""
    assert projected_on(records, policy, as_of) == reference_projected_on(records, policy, as_of)


@settings(max_examples=200, deadline=None)
@given(holders(), policies, st.dates(min_value=date(2014, 1, 1), max_value=date(2027, 12, 31)))
def test_months_equal_the_literal_reading(records: Records, policy: Policy, as_of: date) -> None:
    code, indicators = policy.jurisdiction.code, policy.indicators
    literal = oracle.holder(plain(records))
    served = policy.served()
    assert residence_months(
        records.residence_periods, as_of, code, indicators.residence
    ) == oracle.residence_months(literal, served, as_of)
    assert insurance_months(
        records.insurance_periods, as_of, code, indicators.insurance
    ) == oracle.insurance_months(literal, served, as_of)


CUMULATIVE_RESIDENCE = ResidenceIndicator(points_per_year=1, cap=10)
ALL_INSURANCE = InsuranceIndicator(points_per_year=1, cap=10)
any_day = st.dates(min_value=date(2014, 1, 1), max_value=date(2030, 12, 31))


@given(st.lists(residence_periods(), max_size=5), residence_periods(), any_day)
def test_adding_a_record_never_lowers_cumulative_months(
    periods: list[ResidencePeriod], extra: ResidencePeriod, as_of: date
) -> None:
    def months(ps: list[ResidencePeriod]) -> int:
        return residence_months(ps, as_of, "441700", CUMULATIVE_RESIDENCE)

    assert months([*periods, extra]) >= months(periods)


@given(st.lists(insurance_periods(), max_size=5), insurance_periods(), any_day)
def test_adding_an_insurance_record_never_lowers_cumulative_months(
    periods: list[InsurancePeriod], extra: InsurancePeriod, as_of: date
) -> None:
    def months(ps: list[InsurancePeriod]) -> int:
        return insurance_months(ps, as_of, "441700", ALL_INSURANCE)

    assert months([*periods, extra]) >= months(periods)


@given(holders(), any_day, any_day)
def test_a_later_date_never_lowers_cumulative_months(
    records: Records, first: date, second: date
) -> None:
    early, late = sorted((first, second))
    residence = records.residence_periods
    insurance = records.insurance_periods
    assert residence_months(residence, late, "441700", CUMULATIVE_RESIDENCE) >= residence_months(
        residence, early, "441700", CUMULATIVE_RESIDENCE
    )
    assert insurance_months(insurance, late, "441700", ALL_INSURANCE) >= insurance_months(
        insurance, early, "441700", ALL_INSURANCE
    )


@given(holders(), policies, any_day, st.randoms(use_true_random=False))
def test_record_order_does_not_change_the_months(
    records: Records, policy: Policy, as_of: date, random: Any
) -> None:
    code, indicators = policy.jurisdiction.code, policy.indicators
    residence, insurance = list(records.residence_periods), list(records.insurance_periods)
    random.shuffle(residence)
    random.shuffle(insurance)
    assert residence_months(residence, as_of, code, indicators.residence) == residence_months(
        records.residence_periods, as_of, code, indicators.residence
    )
    assert insurance_months(insurance, as_of, code, indicators.insurance) == insurance_months(
        records.insurance_periods, as_of, code, indicators.insurance
    )


@given(holders(), policies, any_day)
def test_insurance_months_never_exceed_the_ended_months_covered(
    records: Records, policy: Policy, as_of: date
) -> None:
    indicator = policy.indicators.insurance
    ended = as_of.year * 12 + as_of.month - 1  # months numbered from year 0; D's is not ended
    covered: set[int] = set()
    for p in records.insurance_periods:
        if p.district.startswith("4417") and (not indicator.types or p.type in indicator.types):
            first = p.start_month.year * 12 + p.start_month.month - 1
            last = p.end_month.year * 12 + p.end_month.month - 1 if p.end_month else ended - 1
            covered.update(range(first, min(last, ended - 1) + 1))
    counted = insurance_months(records.insurance_periods, as_of, "441700", indicator)
    assert counted <= len(covered)
    if indicator.counting == "cumulative":
        assert counted == len(covered)
