"""SPEC §6.1-§6.3: months, points, the permit, the current residence and active adjustments of
one holder at one date, gathered as `Facts`."""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, TypeVar

from app.domain.calendar import Month, whole_months
from app.domain.codes import area_kind, jurisdiction_prefix
from app.domain.policy import (
    AdjustmentRule,
    InsuranceIndicator,
    Policy,
    ResidenceIndicator,
)
from app.engine.records import AdjustmentRecord, InsurancePeriod, Permit, Records, ResidencePeriod

# --- counting months (SPEC §6.1, §6.2) ---------------------------------------------------------

OPEN_DATE = date.max  # an ongoing residence period, as an end date
OPEN_MONTH = Month(9999, 12).index  # an ongoing insurance period, as a month index


def in_jurisdiction(district: str, prefix: str) -> bool:
    """SPEC §6.1: a record counts when its district code starts with the prefix."""
    return district.startswith(prefix)


Period = TypeVar("Period", ResidencePeriod, InsurancePeriod)


def matching(periods: Iterable[Period], prefix: str) -> list[Period]:
    """SPEC §6.1: the periods that count in the jurisdiction of `prefix`."""
    return [p for p in periods if in_jurisdiction(p.district, prefix)]


class ResidenceCounter:
    """SPEC §6.2 residence months at any date, from the merged intervals computed once.

    Merging the periods and then clipping them at D gives the same intervals as clipping then
    merging, so the merge is done once and each date costs a bisection.
    """

    def __init__(self, periods: Iterable[ResidencePeriod], indicator: ResidenceIndicator) -> None:
        """`periods`: the holder's periods in the jurisdiction (`matching`)."""
        spans = sorted(
            (p.start_date, p.end_date or OPEN_DATE)
            for p in periods
            if p.end_date is None or p.end_date > p.start_date
        )
        merged: list[list[date]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:  # overlapping or touching
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        # months_before[i]: whole months of the (complete) intervals before interval i.
        self.months_before = [0]
        for s, e in merged:
            self.months_before.append(self.months_before[-1] + whole_months(s, e))
        self.continuous = indicator.counting == "continuous"
        self.max_gap_days = indicator.max_gap_days or 0
        # run_start[i]: the first interval of the run that interval i closes (continuous).
        self.run_start: list[int] = []
        for i, start in enumerate(self.starts):
            joins = i > 0 and (start - self.ends[i - 1]).days <= self.max_gap_days
            self.run_start.append(self.run_start[i - 1] if joins else i)

    def months(self, as_of: date) -> int:
        last = bisect_left(self.starts, as_of) - 1  # the last interval that began before D
        if last < 0:
            return 0
        end = min(self.ends[last], as_of)
        last_months = whole_months(self.starts[last], end)
        if not self.continuous:
            return self.months_before[last] + last_months
        if (as_of - end).days > self.max_gap_days:
            return 0
        first = self.run_start[last]
        return self.months_before[last] - self.months_before[first] + last_months


class InsuranceCounter:
    """SPEC §6.2 insurance months at any date, from the covered months merged into ranges."""

    def __init__(self, periods: Iterable[InsurancePeriod], indicator: InsuranceIndicator) -> None:
        """`periods`: the holder's periods in the jurisdiction (`matching`)."""
        types = set(indicator.types)
        spans = sorted(
            (p.start_month.index, p.end_month.index if p.end_month else OPEN_MONTH)
            for p in periods
            if not types or p.type in types
        )
        merged: list[list[int]] = []
        for first, last in spans:
            if last < first:
                continue
            if merged and first <= merged[-1][1] + 1:  # distinct months: a set, not a sum
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self.firsts = [a for a, _ in merged]
        self.lasts = [b for _, b in merged]
        self.months_before = [0]
        for a, b in merged:
            self.months_before.append(self.months_before[-1] + b - a + 1)
        self.continuous = indicator.counting == "continuous"
        self.max_gap_months = indicator.max_gap_months or 0
        self.run_start: list[int] = []
        for i, first in enumerate(self.firsts):
            joins = i > 0 and first - self.lasts[i - 1] - 1 <= self.max_gap_months
            self.run_start.append(self.run_start[i - 1] if joins else i)

    def months(self, as_of: date) -> int:
        last_ended = Month.of(as_of).index - 1  # D = 2026-11-22 counts up to 2026-10
        last = bisect_right(self.firsts, last_ended) - 1
        if last < 0:
            return 0
        latest = min(self.lasts[last], last_ended)
        last_months = latest - self.firsts[last] + 1
        if not self.continuous:
            return self.months_before[last] + last_months
        if last_ended - latest > self.max_gap_months:
            return 0
        first = self.run_start[last]
        return self.months_before[last] - self.months_before[first] + last_months


def residence_months(
    periods: Iterable[ResidencePeriod],
    as_of: date,
    jurisdiction_code: str,
    indicator: ResidenceIndicator,
) -> int:
    """SPEC §6.2: whole months over the merged, clipped intervals of matching periods.

    Periods are clipped to `[start_date, min(end_date, D))`, overlapping or touching ones
    merged, and each interval `[s, e)` gives the largest k with `s + k months <= e` (clamped).
    With `counting: continuous` only the latest run counts (gaps of at most `max_gap_days`;
    the run must end within `max_gap_days` of D), else 0; gap days never count.
    """
    prefix = jurisdiction_prefix(jurisdiction_code)
    return ResidenceCounter(matching(periods, prefix), indicator).months(as_of)


def insurance_months(
    periods: Iterable[InsurancePeriod],
    as_of: date,
    jurisdiction_code: str,
    indicator: InsuranceIndicator,
) -> int:
    """SPEC §6.2: distinct calendar months ended before D, of the policy's `types` ([] = all).

    With `counting: continuous` only the latest run counts: its latest month at most
    `max_gap_months` before the last ended month, each gap inside it at most `max_gap_months`;
    gap months never count.
    """
    prefix = jurisdiction_prefix(jurisdiction_code)
    return InsuranceCounter(matching(periods, prefix), indicator).months(as_of)


def indicator_points(months: int, indicator: ResidenceIndicator | InsuranceIndicator) -> int:
    """SPEC §6.2: `min(cap, points_per_year × floor(months / 12))`."""
    return min(indicator.cap, indicator.points_per_year * (months // 12))


# --- permit, current residence, adjustments (SPEC §6.3) ----------------------------------------


def permit_valid(permit: Permit, d: date) -> bool:
    """SPEC §6.3: `status == active` and `issued_on <= d <= valid_until`."""
    return permit.status == "active" and permit.issued_on <= d <= permit.valid_until


def current_residence(
    periods: Iterable[ResidencePeriod], d: date, prefix: str
) -> ResidencePeriod | None:
    """SPEC §6.3: the matching period with `start_date <= d < end_date` (or open) that started
    last; on equal starts the one recorded first. None when there is none."""
    current: ResidencePeriod | None = None
    for period in periods:
        if not in_jurisdiction(period.district, prefix) or period.start_date > d:
            continue
        if period.end_date is not None and d >= period.end_date:
            continue
        if current is None or period.start_date > current.start_date:  # ties: first recorded
            current = period
    return current


@dataclass(frozen=True)
class ActiveAdjustment:
    """One catalogue entry active at D, with the number of active records that have its code."""

    entry: AdjustmentRule
    count: int

    @property
    def points(self) -> int:
        """SPEC §6.3: once per code, unless `repeatable` (then n times its points)."""
        return self.entry.points * (self.count if self.entry.repeatable else 1)


def active_adjustments(
    adjustments: Iterable[AdjustmentRecord], d: date, catalogue: Sequence[AdjustmentRule]
) -> list[ActiveAdjustment]:
    """SPEC §6.3: catalogue entries with a record active at d (`effective_from <= d` and
    `effective_to` null or after d), in catalogue order, 0-point entries included; codes not in
    the catalogue are ignored."""
    counts: dict[str, int] = {}
    for record in adjustments:
        if record.effective_from <= d and (record.effective_to is None or d < record.effective_to):
            counts[record.code] = counts.get(record.code, 0) + 1
    return [
        ActiveAdjustment(entry, counts[entry.code]) for entry in catalogue if entry.code in counts
    ]


# The largest total points: what a ranking entry's `total_points` column (a 32-bit integer)
# holds. The policy's bounds (`policy.POINTS_MAX`) keep every other sum far below it; only a
# repeatable adjustment active in some 200,000 records of one holder could pass it. Such a
# total is held at this ceiling, in scores and in both rankings alike, rather than answer 500.
TOTAL_POINTS_MAX = 2**31 - 1


def bounded_total(residence_points: int, insurance_points: int, adjustment_points: int) -> int:
    """SPEC §6.3: `max(0, residence + insurance + adjustments)`, at most `TOTAL_POINTS_MAX`."""
    total = residence_points + insurance_points + adjustment_points
    return min(TOTAL_POINTS_MAX, max(0, total))


class Facts(NamedTuple):
    """What the requirements of SPEC §6.3 look at: one holder at one date. A named tuple: the
    projection builds several a score, and a tuple is the cheapest value Python builds."""

    total_points: int
    residence_months: int
    insurance_months: int
    permit_valid: bool
    current_district: str | None
    current_housing: str | None
    current_area_kind: str | None  # the kind of the current period's township (SPEC §6.3)
    active_codes: frozenset[str]


def facts_at(records: Records, policy: Policy, d: date) -> Facts:
    """SPEC §6.2-§6.3: the holder's months, points, permit, residence and adjustments at d."""
    code = policy.jurisdiction.code
    indicators = policy.indicators
    residence = residence_months(records.residence_periods, d, code, indicators.residence)
    insurance = insurance_months(records.insurance_periods, d, code, indicators.insurance)
    active = active_adjustments(records.adjustments, d, policy.adjustments)
    current = current_residence(records.residence_periods, d, jurisdiction_prefix(code))
    return Facts(
        total_points=bounded_total(
            indicator_points(residence, indicators.residence),
            indicator_points(insurance, indicators.insurance),
            sum(a.points for a in active),
        ),
        residence_months=residence,
        insurance_months=insurance,
        permit_valid=permit_valid(records.permit, d),
        current_district=current.district if current else None,
        current_housing=current.housing if current else None,
        current_area_kind=area_kind_of(current),
        active_codes=frozenset(a.entry.code for a in active),
    )


def area_kind_of(period: ResidencePeriod | None) -> str | None:
    """SPEC §6.3: the kind of the current period's township; none without one."""
    return area_kind(period.township) if period and period.township else None
