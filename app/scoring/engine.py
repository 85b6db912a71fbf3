"""SPEC §6: points, entitlement levels and projections of one holder, from records and a policy.

Pure: records + policy + date -> score. No web, no database; the register, the simulation and
the ranking all go through `score`. "As of D" means only time before D counts (§6).
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.core.i18n import tr
from app.domain.calendar import Month, add_years, whole_months
from app.domain.codes import area_kind
from app.domain.policy import (
    Adjustment,
    Alternative,
    InsuranceIndicator,
    Name,
    Policy,
    PolicyCase,
    Reference,
    Requirements,
    ResidenceIndicator,
    Service,
    Tier,
    jurisdiction_prefix,
)

__all__ = [
    "PROJECTION_YEARS",
    "ActiveAdjustment",
    "AdjustmentRecord",
    "Facts",
    "InsurancePeriod",
    "Permit",
    "Records",
    "ResidencePeriod",
    "Score",
    "active_adjustments",
    "current_residence",
    "facts_at",
    "indicator_points",
    "insurance_months",
    "jurisdiction_prefix",
    "levels",
    "missing",
    "permit_valid",
    "projected_on",
    "projection_horizon",
    "projection_records",
    "records_from_dicts",
    "requirements_met",
    "residence_months",
    "run_policy_case",
    "score",
]

PROJECTION_YEARS = 50  # SPEC §6.4: D < d <= D + 50 years


# --- records (SPEC §4) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Permit:
    issued_on: date
    valid_until: date  # inclusive
    status: str  # active, suspended, revoked


@dataclass(frozen=True)
class ResidencePeriod:
    district: str
    start_date: date  # inclusive
    end_date: date | None  # exclusive; None while ongoing
    housing: str = "other"
    township: str | None = None  # 9 digits (SPEC §4); None: not recorded


@dataclass(frozen=True)
class InsurancePeriod:
    district: str
    type: str
    start_month: Month  # inclusive
    end_month: Month | None  # inclusive; None while ongoing


@dataclass(frozen=True)
class AdjustmentRecord:
    code: str
    effective_from: date  # inclusive
    effective_to: date | None  # exclusive; None = open


@dataclass(frozen=True)
class Records:
    """One holder's records, each list in insertion order ("recorded first" = earlier)."""

    permit: Permit
    residence_periods: tuple[ResidencePeriod, ...] = ()
    insurance_periods: tuple[InsurancePeriod, ...] = ()
    adjustments: tuple[AdjustmentRecord, ...] = ()


# --- counting months (SPEC §6.1, §6.2) ---------------------------------------------------------

_OPEN_DATE = date.max  # an ongoing residence period, as an end date
_OPEN_MONTH = Month(9999, 12).index  # an ongoing insurance period, as a month index


def _matches(district: str, prefix: str) -> bool:
    """SPEC §6.1: a record counts when its district code starts with the prefix."""
    return district.startswith(prefix)


class _ResidenceCounter:
    """SPEC §6.2 residence months at any date, from the merged intervals computed once.

    Merging the periods and then clipping them at D gives the same intervals as clipping then
    merging, so the merge is done once and each date costs a bisection.
    """

    def __init__(
        self, periods: Iterable[ResidencePeriod], prefix: str, indicator: ResidenceIndicator
    ) -> None:
        spans = sorted(
            (p.start_date, p.end_date or _OPEN_DATE)
            for p in periods
            if _matches(p.district, prefix) and (p.end_date is None or p.end_date > p.start_date)
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


class _InsuranceCounter:
    """SPEC §6.2 insurance months at any date, from the covered months merged into ranges."""

    def __init__(
        self, periods: Iterable[InsurancePeriod], prefix: str, indicator: InsuranceIndicator
    ) -> None:
        types = set(indicator.types)
        spans = sorted(
            (p.start_month.index, p.end_month.index if p.end_month else _OPEN_MONTH)
            for p in periods
            if _matches(p.district, prefix) and (not types or p.type in types)
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
    return _ResidenceCounter(periods, prefix, indicator).months(as_of)


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
    return _InsuranceCounter(periods, prefix, indicator).months(as_of)


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
        if not _matches(period.district, prefix) or period.start_date > d:
            continue
        if period.end_date is not None and d >= period.end_date:
            continue
        if current is None or period.start_date > current.start_date:  # ties: first recorded
            current = period
    return current


@dataclass(frozen=True)
class ActiveAdjustment:
    """One catalogue entry active at D, with the number of active records that have its code."""

    entry: Adjustment
    count: int

    @property
    def points(self) -> int:
        """SPEC §6.3: once per code, unless `repeatable` (then n times its points)."""
        return self.entry.points * (self.count if self.entry.repeatable else 1)


def active_adjustments(
    adjustments: Iterable[AdjustmentRecord], d: date, catalogue: Sequence[Adjustment]
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


# --- requirements and levels (SPEC §6.3, §6.4) -------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the requirements of SPEC §6.3 look at: one holder at one date."""

    total_points: int
    residence_months: int
    insurance_months: int
    permit_valid: bool
    current_district: str | None
    current_housing: str | None
    current_area_kind: str | None  # the kind of the current period's township (SPEC §6.3)
    active_codes: frozenset[str]


def _keys_met(requires: Alternative, facts: Facts, permit_required: bool) -> bool:
    """Every key of one requirements mapping but `any_of`; the permit as the caller decides."""
    return (
        (not permit_required or facts.permit_valid)
        and (requires.min_points is None or facts.total_points >= requires.min_points)
        and (
            requires.min_residence_months is None
            or facts.residence_months >= requires.min_residence_months
        )
        and (
            requires.min_insurance_months is None
            or facts.insurance_months >= requires.min_insurance_months
        )
        and (
            requires.current_district_in is None
            or facts.current_district in requires.current_district_in
        )
        and (
            requires.current_district_not_in is None
            or (
                facts.current_district is not None
                and facts.current_district not in requires.current_district_not_in
            )
        )
        and (
            requires.current_housing_in is None
            or facts.current_housing in requires.current_housing_in
        )
        and (
            requires.current_area_kind_in is None
            or facts.current_area_kind in requires.current_area_kind_in
        )
        and (
            requires.adjustments_any is None
            or not facts.active_codes.isdisjoint(requires.adjustments_any)
        )
    )


def requirements_met(requires: Requirements, facts: Facts) -> bool:
    """SPEC §6.3: every key present holds; `any_of` when one alternative holds, an alternative's
    `valid_permit` defaulting to the tier's (and the tier's own checked as well)."""
    if not _keys_met(requires, facts, requires.valid_permit):
        return False
    return requires.any_of is None or any(
        _keys_met(alternative, facts, requires.alternative_valid_permit(alternative))
        for alternative in requires.any_of
    )


def _domain_level(tiers: Sequence[Tier], facts: Facts) -> int:
    level = 0
    for tier in tiers:
        if not requirements_met(tier.requires, facts):
            break
        level = tier.level
    return level


def levels(policy: Policy, facts: Facts) -> dict[str, int]:
    """SPEC §6.3: per domain, the highest L with tiers 1..L all met (0 when tier 1 is not)."""
    return {domain: _domain_level(tiers, facts) for domain, tiers in policy.domains.items()}


def _shortfalls(requires: Alternative, facts: Facts, permit_required: bool) -> dict[str, Any]:
    """SPEC §6.4: the unmet keys of one requirements mapping (without `any_of`)."""
    short: dict[str, Any] = {}
    if requires.min_points is not None and facts.total_points < requires.min_points:
        short["points"] = requires.min_points - facts.total_points
    wanted = requires.min_residence_months
    if wanted is not None and facts.residence_months < wanted:
        short["residence_months"] = wanted - facts.residence_months
    wanted = requires.min_insurance_months
    if wanted is not None and facts.insurance_months < wanted:
        short["insurance_months"] = wanted - facts.insurance_months
    if permit_required and not facts.permit_valid:
        short["valid_permit"] = True
    district: dict[str, list[str]] = {}
    inside = requires.current_district_in
    if inside is not None and facts.current_district not in inside:
        district["in"] = list(inside)
    outside = requires.current_district_not_in
    if outside is not None and (
        facts.current_district is None or facts.current_district in outside
    ):
        district["not_in"] = list(outside)
    if district:
        short["district"] = district
    housing = requires.current_housing_in
    if housing is not None and facts.current_housing not in housing:
        short["housing"] = list(housing)
    kinds = requires.current_area_kind_in
    if kinds is not None and facts.current_area_kind not in kinds:
        short["area_kinds"] = list(kinds)
    codes = requires.adjustments_any
    if codes is not None and facts.active_codes.isdisjoint(codes):
        short["adjustments"] = list(codes)
    return short


def missing(requires: Requirements, facts: Facts) -> dict[str, Any]:
    """SPEC §6.4: what a tier lacks today, one key per unmet requirement.

    `any_of` is reported, one mapping per alternative, only when no alternative is met. A
    `valid_permit` the tier requires is reported once, at the tier's level, and left out when
    the alternatives are judged. Ambiguity resolved (§6.4 speaks of the inherited one only): an
    alternative's own `valid_permit: true` under a tier that also requires the permit is left
    out too, since the tier's key reports the same thing; it is judged only under a tier with
    `valid_permit: false`.
    """
    short = _shortfalls(requires, facts, requires.valid_permit)
    if requires.any_of is not None:
        alternatives = [
            _shortfalls(
                alternative,
                facts,
                requires.alternative_valid_permit(alternative) and not requires.valid_permit,
            )
            for alternative in requires.any_of
        ]
        if all(alternatives):
            short["any_of"] = alternatives
    return short


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
        current_area_kind=_area_kind(current),
        active_codes=frozenset(a.entry.code for a in active),
    )


def _area_kind(period: ResidencePeriod | None) -> str | None:
    """SPEC §6.3: the kind of the current period's township; none without one."""
    return area_kind(period.township) if period and period.township else None


# --- projection (SPEC §6.4) --------------------------------------------------------------------


def projection_horizon(as_of: date) -> date:
    """SPEC §6.4: the last date a projection looks at, D + 50 years (years added like months)."""
    if as_of.year + PROJECTION_YEARS > date.max.year:
        return date.max
    return add_years(as_of, PROJECTION_YEARS)


def projection_records(records: Records, as_of: date) -> Records:
    """SPEC §6.4: the records as the projection sees them after D. A permit valid at D stays
    valid (endorsed every year); every other record keeps its recorded dates, and periods with
    no end go on."""
    if not permit_valid(records.permit, as_of):
        return records
    permit = Permit(records.permit.issued_on, _OPEN_DATE, "active")
    return Records(
        permit, records.residence_periods, records.insurance_periods, records.adjustments
    )


def _days_after(d: date, days: int) -> date | None:
    return d + timedelta(days=days) if date.max - d >= timedelta(days=days) else None


class _Timeline:
    """The holder's facts at any date after D under the projection rules, built once so that
    a date costs a few bisections rather than a recount (SPEC §6.4)."""

    def __init__(self, records: Records, policy: Policy, as_of: date) -> None:
        self.records = projection_records(records, as_of)
        self.policy = policy
        self.prefix = jurisdiction_prefix(policy.jurisdiction.code)
        indicators = policy.indicators
        self.residence = _ResidenceCounter(
            records.residence_periods, self.prefix, indicators.residence
        )
        self.insurance = _InsuranceCounter(
            records.insurance_periods, self.prefix, indicators.insurance
        )
        # Current residence and active adjustments change only on their records' dates: they
        # are computed once per stretch between those dates, when first asked for.
        self.residence_dates = sorted(
            {
                d
                for p in records.residence_periods
                if _matches(p.district, self.prefix)
                for d in (p.start_date, p.end_date)
                if d is not None
            }
        )
        self.adjustment_dates = sorted(
            {d for a in records.adjustments for d in (a.effective_from, a.effective_to) if d}
        )
        self._current: dict[int, tuple[str | None, str | None, str | None]] = {}
        self._adjustments: dict[int, tuple[int, frozenset[str]]] = {}

    def breaks(self) -> set[date]:
        """The dates on which a fact other than a month count changes, or a month count falls.

        Between two of them, every fact is constant but the months, which only grow: whether
        a tier is met can then only change from false to true.
        """
        found = set(self.residence_dates) | set(self.adjustment_dates)
        permit = self.records.permit
        found.add(permit.issued_on)
        found.add(_days_after(permit.valid_until, 1) or date.max)
        if self.residence.continuous:  # a run ends the day its gap grows too long
            for end in self.residence.ends:
                found.add(_days_after(end, self.residence.max_gap_days + 1) or date.max)
        if self.insurance.continuous:
            for last in self.insurance.lasts:
                month = Month.from_index(min(last + self.insurance.max_gap_months + 2, _OPEN_MONTH))
                found.add(month.first_day)
        return found

    def _current_at(self, d: date) -> tuple[str | None, str | None, str | None]:
        """District, housing and area kind of the current period at d."""
        stretch = bisect_right(self.residence_dates, d)
        if stretch not in self._current:
            period = current_residence(self.records.residence_periods, d, self.prefix)
            self._current[stretch] = (
                (period.district, period.housing, _area_kind(period))
                if period
                else (None, None, None)
            )
        return self._current[stretch]

    def _adjustments_at(self, d: date) -> tuple[int, frozenset[str]]:
        stretch = bisect_right(self.adjustment_dates, d)
        if stretch not in self._adjustments:
            active = active_adjustments(self.records.adjustments, d, self.policy.adjustments)
            self._adjustments[stretch] = (
                sum(a.points for a in active),
                frozenset(a.entry.code for a in active),
            )
        return self._adjustments[stretch]

    def facts(self, d: date) -> Facts:
        indicators = self.policy.indicators
        residence = self.residence.months(d)
        insurance = self.insurance.months(d)
        adjustment_points, codes = self._adjustments_at(d)
        district, housing, area = self._current_at(d)
        return Facts(
            total_points=bounded_total(
                indicator_points(residence, indicators.residence),
                indicator_points(insurance, indicators.insurance),
                adjustment_points,
            ),
            residence_months=residence,
            insurance_months=insurance,
            permit_valid=permit_valid(self.records.permit, d),
            current_district=district,
            current_housing=housing,
            current_area_kind=area,
            active_codes=codes,
        )


def projected_on(
    records: Records, policy: Policy, as_of: date, today: dict[str, int] | None = None
) -> dict[str, date | None]:
    """SPEC §6.4: per domain, the earliest d in `(D, D + 50 years]` on which its level would
    exceed today's if nothing recorded changes; None when there is none (or no next tier).

    `today` holds the levels at D when the caller has them. The answer is that of §6.4's
    candidate dates, found faster: between two `_Timeline.breaks` only month counts change,
    and only upwards, so a stretch whose last day does not reach the next level is skipped
    whole, and the first stretch whose last day does is bisected down to its first such day.
    """
    if today is None:
        today = levels(policy, facts_at(records, policy, as_of))
    found: dict[str, date | None] = dict.fromkeys(policy.domains)
    pending = {
        domain: tiers[: today[domain] + 1]  # the level exceeds L when tiers 1..L+1 are met
        for domain, tiers in policy.domains.items()
        if today[domain] < len(tiers)
    }
    if not pending or as_of == date.max:
        return found
    timeline = _Timeline(records, policy, as_of)
    horizon = projection_horizon(as_of)
    first_day = as_of + timedelta(days=1)
    starts = sorted(d for d in timeline.breaks() if first_day < d <= horizon)
    lasts = [d - timedelta(days=1) for d in starts] + [horizon]
    stretches = zip([first_day, *starts], lasts, strict=True)

    def exceeds(tiers: Sequence[Tier], d: date) -> bool:
        facts = timeline.facts(d)
        return all(requirements_met(tier.requires, facts) for tier in tiers)

    for start, last in stretches:
        for domain, tiers in list(pending.items()):
            if not exceeds(tiers, last):
                continue
            low, high = start.toordinal(), last.toordinal()  # met on `high`: bisect for the first
            while low < high:
                middle = (low + high) // 2
                if exceeds(tiers, date.fromordinal(middle)):
                    high = middle
                else:
                    low = middle + 1
            found[domain] = date.fromordinal(low)
            del pending[domain]
        if not pending:
            break
    return found


# --- the score response (SPEC §7) --------------------------------------------------------------


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)


class PolicyRef(_Answer):
    id: str
    version: str
    effective_from: date


class IndicatorComponent(_Answer):
    indicator: Literal["residence", "insurance"]
    months: int
    full_years: int
    points: int
    cap: int
    reference: Reference | None = None


class AdjustmentItem(_Answer):
    code: str
    points: int
    count: int | None = None  # repeatable codes only
    reference: Reference | None = None


class AdjustmentsComponent(_Answer):
    indicator: Literal["adjustments"] = "adjustments"
    points: int  # the sum of the items, before the total is floored at 0
    items: list[AdjustmentItem]


class TierRef(_Answer):
    code: str
    name: Name
    reference: Reference | None = None


class NextTier(_Answer):
    level: int
    code: str
    name: Name
    missing: dict[str, Any]
    projected_on: date | None


class Entitlement(_Answer):
    domain: str
    level: int
    tier: TierRef | None  # None at level 0
    services: list[Service]
    next: NextTier | None  # None at the top tier


class Score(_Answer):
    """SPEC §7: the score of one holder at `as_of` under one policy."""

    jurisdiction: str
    as_of: date
    policy: PolicyRef
    permit_valid: bool
    total_points: int
    residence: IndicatorComponent
    insurance: IndicatorComponent
    adjustments: AdjustmentsComponent
    entitlements: list[Entitlement]

    @property
    def residence_months(self) -> int:
        return self.residence.months

    @property
    def insurance_months(self) -> int:
        return self.insurance.months

    @property
    def levels(self) -> dict[str, int]:
        return {e.domain: e.level for e in self.entitlements}

    @property
    def projected_on(self) -> dict[str, date | None]:
        return {e.domain: e.next.projected_on if e.next else None for e in self.entitlements}

    def to_json(self, holder_id: str | None) -> dict[str, Any]:
        """The score response of SPEC §7, keys in its order; optional keys left out when they
        have no value, but `holder_id`, `next` and `projected_on` kept as null."""
        return {
            "holder_id": holder_id,
            "jurisdiction": self.jurisdiction,
            "as_of": self.as_of.isoformat(),
            "policy": self.policy.model_dump(mode="json"),
            "permit_valid": self.permit_valid,
            "total_points": self.total_points,
            "components": [
                self.residence.model_dump(mode="json", exclude_none=True),
                self.insurance.model_dump(mode="json", exclude_none=True),
                self.adjustments.model_dump(mode="json", exclude_none=True),
            ],
            "entitlements": [_entitlement_json(e) for e in self.entitlements],
        }


def _entitlement_json(entitlement: Entitlement) -> dict[str, Any]:
    data: dict[str, Any] = {"domain": entitlement.domain, "level": entitlement.level}
    if entitlement.tier is not None:
        data["tier"] = entitlement.tier.model_dump(mode="json", exclude_none=True)
    data["services"] = [s.model_dump(mode="json", exclude_none=True) for s in entitlement.services]
    following = entitlement.next
    data["next"] = (
        None
        if following is None
        else {
            "level": following.level,
            "code": following.code,
            "name": following.name.model_dump(mode="json"),
            "missing": following.missing,
            "projected_on": following.projected_on.isoformat() if following.projected_on else None,
        }
    )
    return data


def _indicator_component(
    name: Literal["residence", "insurance"],
    months: int,
    indicator: ResidenceIndicator | InsuranceIndicator,
) -> IndicatorComponent:
    return IndicatorComponent(
        indicator=name,
        months=months,
        full_years=months // 12,
        points=indicator_points(months, indicator),
        cap=indicator.cap,
        reference=indicator.reference,
    )


def score(records: Records, policy: Policy, as_of: date) -> Score:
    """SPEC §6: points, levels and projection of one holder at `as_of`.

    The caller picks the policy in force at `as_of` (SPEC §5); the engine does not check it.
    """
    facts = facts_at(records, policy, as_of)
    active = active_adjustments(records.adjustments, as_of, policy.adjustments)
    today = levels(policy, facts)
    projections = projected_on(records, policy, as_of, today)
    entitlements = []
    for domain, tiers in policy.domains.items():
        level = today[domain]
        reached = tiers[:level]
        following = tiers[level] if level < len(tiers) else None
        entitlements.append(
            Entitlement(
                domain=domain,
                level=level,
                tier=TierRef(
                    code=reached[-1].code, name=reached[-1].name, reference=reached[-1].reference
                )
                if reached
                else None,
                services=[service for tier in reached for service in tier.services],
                next=None
                if following is None
                else NextTier(
                    level=following.level,
                    code=following.code,
                    name=following.name,
                    missing=missing(following.requires, facts),
                    projected_on=projections[domain],
                ),
            )
        )
    indicators = policy.indicators
    return Score(
        jurisdiction=policy.jurisdiction.code,
        as_of=as_of,
        policy=PolicyRef(
            id=policy.id, version=policy.version, effective_from=policy.effective_from
        ),
        permit_valid=facts.permit_valid,
        total_points=facts.total_points,
        residence=_indicator_component("residence", facts.residence_months, indicators.residence),
        insurance=_indicator_component("insurance", facts.insurance_months, indicators.insurance),
        adjustments=AdjustmentsComponent(
            points=sum(a.points for a in active),
            items=[
                AdjustmentItem(
                    code=a.entry.code,
                    points=a.points,
                    count=a.count if a.entry.repeatable else None,
                    reference=a.entry.reference,
                )
                for a in active
            ],
        ),
        entitlements=entitlements,
    )


# --- simulation shapes and policy test cases (SPEC §4, §5) -------------------------------------


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _as_month(value: Month | str) -> Month:
    return value if isinstance(value, Month) else Month.parse(value)


def records_from_dicts(
    permit: dict[str, Any],
    residence: Iterable[dict[str, Any]] = (),
    insurance: Iterable[dict[str, Any]] = (),
    adjustments: Iterable[dict[str, Any]] = (),
) -> Records:
    """Records from the shapes of SPEC §4 (dates as `date` or ISO strings, months as `Month` or
    `YYYY-MM`). Validation is the caller's (the API schemas); other keys (`id`, `source`,
    `note`) are ignored."""
    return Records(
        permit=Permit(
            issued_on=_as_date(permit["issued_on"]),
            valid_until=_as_date(permit["valid_until"]),
            status=permit["status"],
        ),
        residence_periods=tuple(
            ResidencePeriod(
                district=r["district"],
                start_date=_as_date(r["start_date"]),
                end_date=_as_date(r["end_date"]) if r.get("end_date") is not None else None,
                housing=r.get("housing") or "other",
                township=r.get("township"),
            )
            for r in residence
        ),
        insurance_periods=tuple(
            InsurancePeriod(
                district=p["district"],
                type=p["type"],
                start_month=_as_month(p["start_month"]),
                end_month=_as_month(p["end_month"]) if p.get("end_month") is not None else None,
            )
            for p in insurance
        ),
        adjustments=tuple(
            AdjustmentRecord(
                code=a["code"],
                effective_from=_as_date(a["effective_from"]),
                effective_to=_as_date(a["effective_to"])
                if a.get("effective_to") is not None
                else None,
            )
            for a in adjustments
        ),
    )


def run_policy_case(policy: Policy, case: PolicyCase) -> list[str]:
    """SPEC §5 `tests`: run one case; the mismatches, one message each (empty: it passes).

    Only the keys the case's `output` gives are checked.
    """
    given = case.input
    records = records_from_dicts(
        given.permit.model_dump(),
        [r.model_dump() for r in given.residence_periods],
        [p.model_dump() for p in given.insurance_periods],
        [a.model_dump() for a in given.adjustments],
    )
    result = score(records, policy, case.as_of)
    expected = case.output
    actual: dict[str, Any] = {
        "total_points": result.total_points,
        "residence_months": result.residence_months,
        "insurance_months": result.insurance_months,
        "permit_valid": result.permit_valid,
    }
    checks: list[tuple[str, Any, Any]] = [
        (key, getattr(expected, key), actual[key])
        for key in actual
        if getattr(expected, key) is not None
    ]
    for domain, level in (expected.levels or {}).items():
        checks.append((f"levels.{domain}", level, result.levels.get(domain)))
    for domain, on in (expected.projected_on or {}).items():
        checks.append((f"projected_on.{domain}", on, result.projected_on.get(domain)))
    return [
        tr(
            f"{case.name}: {field}: expected {_shown(want)}, got {_shown(got)}",
            f"{case.name}：{field}：应为 {_shown(want)}，实际为 {_shown(got)}",
        )
        for field, want, got in checks
        if want != got
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)
