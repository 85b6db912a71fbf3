"""SPEC §6.4: the first date each domain's level would rise, if the records go on as they are."""

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, timedelta

from app.domain.calendar import Month, add_years
from app.domain.codes import jurisdiction_prefix
from app.domain.policy import (
    Policy,
    Tier,
)
from app.engine.counting import (
    OPEN_DATE,
    OPEN_MONTH,
    Facts,
    InsuranceCounter,
    ResidenceCounter,
    active_adjustments,
    area_kind_of,
    bounded_total,
    current_residence,
    facts_at,
    indicator_points,
    matching,
    permit_valid,
)
from app.engine.records import Permit, Records
from app.engine.requirements import levels, requirements_met

PROJECTION_YEARS = 50  # SPEC §6.4: D < d <= D + 50 years


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
    permit = Permit(records.permit.issued_on, OPEN_DATE, "active")
    return Records(
        permit, records.residence_periods, records.insurance_periods, records.adjustments
    )


def _days_after(d: date, days: int) -> date | None:
    return d + timedelta(days=days) if date.max - d >= timedelta(days=days) else None


class Timeline:
    """The holder's facts at D and at any date after it under the projection rules, built
    once so that a date costs a few bisections rather than a recount (SPEC §6.4). At D itself
    they are `facts_at`'s: a permit valid at D stays valid, and nothing else is projected."""

    def __init__(self, records: Records, policy: Policy, as_of: date) -> None:
        self.records = projection_records(records, as_of)
        self.policy = policy
        self.prefix = jurisdiction_prefix(policy.jurisdiction.code)
        indicators = policy.indicators
        # Only the periods in the jurisdiction count (SPEC §6.1): they are picked once.
        self.residence_periods = matching(records.residence_periods, self.prefix)
        self.residence = ResidenceCounter(self.residence_periods, indicators.residence)
        self.insurance = InsuranceCounter(
            matching(records.insurance_periods, self.prefix), indicators.insurance
        )
        # Current residence and active adjustments change only on their records' dates: they
        # are computed once per stretch between those dates, when first asked for.
        self.residence_dates = sorted(
            {d for p in self.residence_periods for d in (p.start_date, p.end_date) if d is not None}
        )
        self.adjustment_dates = sorted(
            {d for a in records.adjustments for d in (a.effective_from, a.effective_to) if d}
        )
        self._current: dict[int, tuple[str | None, str | None, str | None]] = {}
        self._adjustments: dict[int, tuple[int, frozenset[str]]] = {}
        self._facts: dict[date, Facts] = {}  # the projection asks of a date once a domain

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
                month = Month.from_index(min(last + self.insurance.max_gap_months + 2, OPEN_MONTH))
                found.add(month.first_day)
        return found

    def _current_at(self, d: date) -> tuple[str | None, str | None, str | None]:
        """District, housing and area kind of the current period at d."""
        stretch = bisect_right(self.residence_dates, d)
        if stretch not in self._current:
            period = current_residence(self.residence_periods, d, self.prefix)
            self._current[stretch] = (
                (period.district, period.housing, area_kind_of(period))
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
        facts = self._facts.get(d)
        if facts is None:
            facts = self._facts[d] = self._count(d)
        return facts

    def _count(self, d: date) -> Facts:
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
    records: Records,
    policy: Policy,
    as_of: date,
    today: dict[str, int] | None = None,
    timeline: Timeline | None = None,
) -> dict[str, date | None]:
    """SPEC §6.4: per domain, the earliest d in `(D, D + 50 years]` on which its level would
    exceed today's if nothing recorded changes; None when there is none (or no next tier).

    `today` holds the levels at D, and `timeline` the holder's, when the caller has them. The
    answer is that of §6.4's candidate dates, found faster: between two `Timeline.breaks` only
    month counts change, and only upwards, so a stretch whose last day does not reach the next
    level is skipped whole, and the first stretch whose last day does is bisected down to its
    first such day.
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
    timeline = timeline or Timeline(records, policy, as_of)
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
