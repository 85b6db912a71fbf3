"""A second reading of SPEC §6, for tests: points, levels, `missing` and `projected_on`.

Written from the words of SPEC §6 (and `docs/rules.md` where SPEC leaves a detail to it) and
nothing else: it imports nothing from `app` and only the standard library, so that a test that
holds the engine to it checks the engine against code that shares none of its helpers. It is
deliberately plain and slow: every count is made from scratch at the date asked, and
`projected_on` tries SPEC §6.4's candidate dates (or any dates it is given) one by one.

Plain data in, plain data out:
- records: a mapping in the shape of a simulation body (SPEC §7) or a policy test case's
  `input` (SPEC §5): `permit` `{issued_on, valid_until, status}`, `residence_periods`
  `[{district, start_date, end_date?, housing?, township?}]`, `insurance_periods`
  `[{district, type, start_month, end_month?}]`, `adjustments` `[{code, effective_from,
  effective_to?}]`. Dates are `datetime.date` or `YYYY-MM-DD`; months are `(year, month)` or
  `YYYY-MM`. `holder()` reads it once into the small dataclasses below;
- a policy: the mapping of SPEC §5, as a YAML file gives it or as a served policy; the
  defaults of §5 are applied here (`counting: cumulative`, `types: []`, `repeatable: false`,
  `valid_permit: true`);
- a date D: only time before D counts (SPEC §6).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

YearMonth = tuple[int, int]

# docs/rules.md §7: the total is held at the largest integer the ranking stores.
TOTAL_POINTS_MAX = 2_147_483_647
# SPEC §6.4: a projection looks at most 50 years ahead.
PROJECTION_YEARS = 50


# --- calendar (SPEC §6.2, §6.4) ----------------------------------------------------------------


def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap_year(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def add_months(d: date, k: int) -> date:
    """SPEC §6.2: "adding months keeps the day and clamps to the month's last day"
    (2024-01-31 + 1 month = 2024-02-29), always from `d` itself."""
    months_since_year_0 = d.year * 12 + (d.month - 1) + k
    year, month = months_since_year_0 // 12, months_since_year_0 % 12 + 1
    return date(year, month, min(d.day, days_in_month(year, month)))


def add_years(d: date, years: int) -> date:
    """SPEC §6.4: years are added like months (2024-02-29 + 50 years = 2074-02-28)."""
    return add_months(d, 12 * years)


def whole_months(s: date, e: date) -> int:
    """SPEC §6.2: "the largest k with s + k months <= e"; 0 for an empty interval.

    s + k months only grows with k, and s + (m + 1) months, m being the number of calendar
    months from s's month to e's, falls in the month after e's, after e: so k is searched
    downwards from there, and the first k that passes the test is the largest. (2018-01-31 to
    2018-02-28 is 1 whole month: 2018-01-31 + 1 month = 2018-02-28, not after e.)
    """
    if e <= s:
        return 0
    k = (e.year - s.year) * 12 + (e.month - s.month) + 1
    while add_months(s, k) > e:
        k -= 1
    return k


def month_of(d: date) -> YearMonth:
    return (d.year, d.month)


def month_number(month: YearMonth) -> int:
    """Consecutive calendar months get consecutive numbers (2021-12 -> n, 2022-01 -> n + 1)."""
    year, m = month
    return year * 12 + (m - 1)


def first_day(number: int) -> date:
    """The first day of the month numbered `number` (see `month_number`)."""
    return date(number // 12, number % 12 + 1, 1)


# --- codes (SPEC §4, §6.1) ---------------------------------------------------------------------


@cache
def jurisdiction_prefix(code: str) -> str:
    """SPEC §6.1: "the code with trailing `00` pairs removed" (441700 -> 4417, 310000 -> 31)."""
    while code.endswith("00"):
        code = code[:-2]
    return code


def counts_for(district: str, jurisdiction: str) -> bool:
    """SPEC §6.1: a record counts when its district code starts with the prefix."""
    return district.startswith(jurisdiction_prefix(jurisdiction))


def area_kind(township: str | None) -> str | None:
    """SPEC §4: the last 3 digits of a township give its kind: 001-099 subdistrict, 100-199
    town, 200-399 township, 400-999 other (000 is refused on entry: no kind). None: none."""
    if township is None:
        return None
    n = int(township[-3:])
    if 1 <= n <= 99:
        return "subdistrict"
    if 100 <= n <= 199:
        return "town"
    if 200 <= n <= 399:
        return "township"
    if 400 <= n <= 999:
        return "other"
    return None


# --- records (SPEC §4) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Permit:
    issued_on: date
    valid_until: date  # inclusive
    status: str


@dataclass(frozen=True)
class Residence:
    district: str
    start: date  # inclusive
    end: date | None  # exclusive; None while ongoing
    housing: str
    township: str | None


@dataclass(frozen=True)
class Insurance:
    district: str
    type: str
    first: YearMonth  # inclusive
    last: YearMonth | None  # inclusive; None while ongoing


@dataclass(frozen=True)
class Adjustment:
    code: str
    start: date  # inclusive
    end: date | None  # exclusive; None = open


@dataclass(frozen=True)
class Holder:
    """One holder's records, each list in the order recorded."""

    permit: Permit
    residence: tuple[Residence, ...]
    insurance: tuple[Insurance, ...]
    adjustments: tuple[Adjustment, ...]


def _date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _month(value: YearMonth | str | None) -> YearMonth | None:
    if value is None:
        return None
    if isinstance(value, str):
        year, month = value.split("-")
        return (int(year), int(month))
    return (int(value[0]), int(value[1]))


def holder(records: dict[str, Any] | Holder) -> Holder:
    """The records of a simulation body or a policy test case's `input` (module docstring)."""
    if isinstance(records, Holder):
        return records
    permit = records["permit"]
    return Holder(
        Permit(_date(permit["issued_on"]), _date(permit["valid_until"]), permit["status"]),
        tuple(
            Residence(
                r["district"],
                _date(r["start_date"]),
                _date(r.get("end_date")),
                r.get("housing") or "other",  # SPEC §4: default `other`
                r.get("township"),
            )
            for r in records.get("residence_periods", [])
        ),
        tuple(
            Insurance(
                p["district"], p["type"], _month(p["start_month"]), _month(p.get("end_month"))
            )
            for p in records.get("insurance_periods", [])
        ),
        tuple(
            Adjustment(a["code"], _date(a["effective_from"]), _date(a.get("effective_to")))
            for a in records.get("adjustments", [])
        ),
    )


# --- months (SPEC §6.2) ------------------------------------------------------------------------


def residence_intervals(h: Holder, jurisdiction: str, d: date) -> list[list[date]]:
    """SPEC §6.2: each matching period clipped to `[start_date, min(end_date or ∞, D))`, empty
    ones dropped, overlapping or touching ones merged; in date order."""
    clipped = []
    for p in h.residence:
        if not counts_for(p.district, jurisdiction):
            continue
        end = d if p.end is None else min(p.end, d)
        if p.start < end:
            clipped.append([p.start, end])
    clipped.sort()
    merged: list[list[date]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:  # overlapping, or touching: start == end
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def residence_months(h: Holder, policy: dict[str, Any], d: date) -> int:
    """SPEC §6.2 residence months: the sum of the merged intervals' whole months; with
    `counting: continuous`, of the intervals of the latest run only."""
    indicator = policy["indicators"]["residence"]
    intervals = residence_intervals(h, policy["jurisdiction"]["code"], d)
    if indicator.get("counting", "cumulative") == "cumulative":
        return sum(whole_months(s, e) for s, e in intervals)
    gap = indicator["max_gap_days"]
    if not intervals:
        return 0
    # "the last merged interval [s, e) must have D − e <= max_gap_days days"
    if (d - intervals[-1][1]).days > gap:
        return 0
    # "an earlier interval joins the run while s_next − e <= max_gap_days days"
    run = [intervals[-1]]
    for earlier in reversed(intervals[:-1]):
        if (run[0][0] - earlier[1]).days > gap:
            break
        run.insert(0, earlier)
    return sum(whole_months(s, e) for s, e in run)  # "gap days never count"


def insurance_months(h: Holder, policy: dict[str, Any], d: date) -> int:
    """SPEC §6.2 insurance months: distinct calendar months ended before D, covered by matching
    periods of the indicator's types (all when none are listed); with `counting: continuous`,
    the months of the latest run only."""
    indicator = policy["indicators"]["insurance"]
    types = indicator.get("types") or []
    last_ended = month_number(month_of(d)) - 1  # the month before D's: D's has not ended
    covered: set[int] = set()
    for p in h.insurance:
        if not counts_for(p.district, policy["jurisdiction"]["code"]):
            continue
        if types and p.type not in types:
            continue
        last = last_ended if p.last is None else min(month_number(p.last), last_ended)
        covered.update(range(month_number(p.first), last + 1))
    if indicator.get("counting", "cumulative") == "cumulative":
        return len(covered)
    gap = indicator["max_gap_months"]
    if not covered:
        return 0
    counted = sorted(covered)
    # "the latest counted month must be at most max_gap_months months before the last ended"
    if last_ended - counted[-1] > gap:
        return 0
    # "earlier months join the run while each gap (months missing between two counted months)
    # is at most max_gap_months"
    run = 1
    for i in range(len(counted) - 1, 0, -1):
        if counted[i] - counted[i - 1] - 1 > gap:
            break
        run += 1
    return run  # "gap months themselves never count"


def indicator_points(months: int, indicator: dict[str, Any]) -> int:
    """SPEC §6.2: `min(cap, points_per_year × floor(months / 12))`."""
    return min(indicator["cap"], indicator["points_per_year"] * (months // 12))


# --- adjustments, permit, current residence (SPEC §6.3) ----------------------------------------


def adjustment_items(h: Holder, policy: dict[str, Any], d: date) -> list[dict[str, Any]]:
    """SPEC §6.3, §7: one item per catalogue code with a record active at D, in catalogue order:
    `{code, points}`, and for a repeatable code `count` n and n times its points."""
    items = []
    for entry in policy.get("adjustments", []):
        active = [
            a
            for a in h.adjustments
            if a.code == entry["code"] and a.start <= d and (a.end is None or a.end > d)
        ]
        if not active:
            continue
        if entry.get("repeatable", False):
            n = len(active)
            items.append({"code": entry["code"], "points": n * entry["points"], "count": n})
        else:
            items.append({"code": entry["code"], "points": entry["points"]})
    return items


def permit_valid(permit: Permit, d: date) -> bool:
    """SPEC §6.3: `status == active` and `issued_on <= D <= valid_until`."""
    return permit.status == "active" and permit.issued_on <= d <= permit.valid_until


def current_residence(h: Holder, jurisdiction: str, d: date) -> Residence | None:
    """SPEC §6.3: of the matching periods with `start_date <= D < end_date` (or open), the one
    with the latest start; on equal starts, the one recorded first."""
    containing = [
        p
        for p in h.residence
        if counts_for(p.district, jurisdiction) and p.start <= d and (p.end is None or d < p.end)
    ]
    current = None
    for p in containing:  # in the order recorded: a later one wins only by a later start
        if current is None or p.start > current.start:
            current = p
    return current


# --- the holder at D ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    residence_months: int
    insurance_months: int
    residence_points: int
    insurance_points: int
    adjustment_points: int  # the component's sum, before the total is floored
    items: tuple[dict[str, Any], ...]
    total_points: int
    permit_valid: bool
    current_district: str | None
    current_housing: str | None
    current_area_kind: str | None
    active_codes: frozenset[str]


def facts(records: dict[str, Any] | Holder, policy: dict[str, Any], d: date) -> Facts:
    """SPEC §6.2-§6.3: everything a requirement looks at, counted from scratch at D."""
    h = holder(records)
    indicators = policy["indicators"]
    residence = residence_months(h, policy, d)
    insurance = insurance_months(h, policy, d)
    items = adjustment_items(h, policy, d)
    residence_points = indicator_points(residence, indicators["residence"])
    insurance_points = indicator_points(insurance, indicators["insurance"])
    adjustment_points = sum(item["points"] for item in items)
    total = max(0, residence_points + insurance_points + adjustment_points)
    current = current_residence(h, policy["jurisdiction"]["code"], d)
    return Facts(
        residence_months=residence,
        insurance_months=insurance,
        residence_points=residence_points,
        insurance_points=insurance_points,
        adjustment_points=adjustment_points,
        items=tuple(items),
        total_points=min(TOTAL_POINTS_MAX, total),
        permit_valid=permit_valid(h.permit, d),
        current_district=current.district if current else None,
        current_housing=current.housing if current else None,
        current_area_kind=area_kind(current.township) if current else None,
        active_codes=frozenset(item["code"] for item in items),
    )


# --- requirements and levels (SPEC §6.3) -------------------------------------------------------


def key_holds(key: str, value: Any, f: Facts) -> bool:
    """One requirement key other than `valid_permit` and `any_of`, by SPEC §6.3's words."""
    if key == "min_points":
        return f.total_points >= value
    if key == "min_residence_months":
        return f.residence_months >= value
    if key == "min_insurance_months":
        return f.insurance_months >= value
    if key == "current_district_in":
        return f.current_district is not None and f.current_district in value
    if key == "current_district_not_in":  # "not met when there is no current district"
        return f.current_district is not None and f.current_district not in value
    if key == "current_housing_in":  # "not met when there is none"
        return f.current_housing is not None and f.current_housing in value
    if key == "current_area_kind_in":  # not met with no current period or no township
        return f.current_area_kind is not None and f.current_area_kind in value
    if key == "adjustments_any":
        return any(code in f.active_codes for code in value)
    raise ValueError(f"not a requirement key: {key}")


def mapping_holds(requires: dict[str, Any], f: Facts, needs_permit: bool) -> bool:
    """Every key of one mapping but `any_of`, the permit as the caller says it is needed."""
    if needs_permit and not f.permit_valid:
        return False
    return all(
        key_holds(key, value, f)
        for key, value in requires.items()
        if key not in ("valid_permit", "any_of") and value is not None
    )


def tier_met(requires: dict[str, Any], f: Facts) -> bool:
    """SPEC §6.3: every key present holds. `valid_permit` defaults to true; an alternative of
    `any_of` takes the tier's `valid_permit` unless it writes its own, and the tier's own is
    checked as well."""
    tier_permit = requires.get("valid_permit", True)
    if not mapping_holds(requires, f, tier_permit):
        return False
    alternatives = requires.get("any_of")
    if alternatives is None:
        return True
    return any(mapping_holds(alt, f, alt.get("valid_permit", tier_permit)) for alt in alternatives)


def level(tiers: list[dict[str, Any]], f: Facts) -> int:
    """SPEC §6.3: "the highest L such that tiers 1..L all have their requirements met; 0 when
    tier 1 is not met": the tiers are climbed from 1 until one is not met."""
    reached = 0
    for tier in tiers:
        if not tier_met(tier["requires"], f):
            break
        reached += 1
    return reached


def levels(policy: dict[str, Any], f: Facts) -> dict[str, int]:
    return {domain: level(tiers, f) for domain, tiers in policy["domains"].items()}


# --- missing (SPEC §6.4, docs/rules.md §11) ----------------------------------------------------


def shortfalls(requires: dict[str, Any], f: Facts, needs_permit: bool) -> dict[str, Any]:
    """The keys of SPEC §6.4's `missing` for one mapping (without `any_of`)."""
    short: dict[str, Any] = {}
    for key, name, have in (
        ("min_points", "points", f.total_points),
        ("min_residence_months", "residence_months", f.residence_months),
        ("min_insurance_months", "insurance_months", f.insurance_months),
    ):
        if requires.get(key) is not None and have < requires[key]:
            short[name] = requires[key] - have
    if needs_permit and not f.permit_valid:
        short["valid_permit"] = True
    district = {}
    for key, name in (("current_district_in", "in"), ("current_district_not_in", "not_in")):
        if requires.get(key) is not None and not key_holds(key, requires[key], f):
            district[name] = list(requires[key])
    if district:
        short["district"] = district
    for key, name in (
        ("current_housing_in", "housing"),
        ("current_area_kind_in", "area_kinds"),
        ("adjustments_any", "adjustments"),
    ):
        if requires.get(key) is not None and not key_holds(key, requires[key], f):
            short[name] = list(requires[key])
    return short


def missing(requires: dict[str, Any], f: Facts) -> dict[str, Any]:
    """SPEC §6.4: one key per unmet requirement; `any_of` only when no alternative is met, one
    mapping per alternative. The permit is reported once, at the tier's level: an alternative
    is judged without the `valid_permit` it inherits from a tier that needs the permit (SPEC),
    and without one it writes itself under such a tier (docs/rules.md §11: "the tier's key
    already says it"); only under a tier with `valid_permit: false` does an alternative's own
    `valid_permit: true` appear inside its mapping."""
    tier_permit = requires.get("valid_permit", True)
    short = shortfalls(requires, f, tier_permit)
    alternatives = requires.get("any_of")
    if alternatives is not None:
        each = [
            shortfalls(alt, f, alt.get("valid_permit", tier_permit) and not tier_permit)
            for alt in alternatives
        ]
        if all(each):  # no alternative is met
            short["any_of"] = each
    return short


def next_missing(policy: dict[str, Any], f: Facts) -> dict[str, dict[str, Any] | None]:
    """Per domain, `missing` of the tier after today's level; None at the top tier."""
    today = levels(policy, f)
    return {
        domain: missing(tiers[today[domain]]["requires"], f) if today[domain] < len(tiers) else None
        for domain, tiers in policy["domains"].items()
    }


# --- projection (SPEC §6.4) --------------------------------------------------------------------


def projection_holder(h: Holder, as_of: date) -> Holder:
    """SPEC §6.4, "if nothing recorded changes": periods with no end go on and the others end
    on their recorded end (as recorded); adjustments keep their dates (as recorded); "a permit
    valid at D stays valid (endorsed every year)", one not valid at D keeps its dates."""
    if not permit_valid(h.permit, as_of):
        return h
    endorsed_for_ever = Permit(h.permit.issued_on, date.max, "active")
    return Holder(endorsed_for_ever, h.residence, h.insurance, h.adjustments)


def horizon(as_of: date) -> date:
    """SPEC §6.4: the last date looked at, D + 50 years."""
    return add_years(as_of, PROJECTION_YEARS)


def candidate_dates(records: dict[str, Any] | Holder, policy: dict[str, Any], as_of: date):
    """SPEC §6.4: "anniversaries s + k months of a growing merged residence interval, period
    start/end dates, first days of months, adjustment dates, and a permit's issued_on", those
    in `(D, D + 50 years]`, in order."""
    h = holder(records)
    last = horizon(as_of)
    found: set[date] = set()
    # merged residence intervals as they will grow: open periods never end
    spans = sorted(
        (p.start, p.end or date.max)
        for p in h.residence
        if counts_for(p.district, policy["jurisdiction"]["code"])
        and (p.end is None or p.start < p.end)
    )
    merged: list[list[date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for s, e in merged:
        k = 1
        while add_months(s, k) <= min(e, last):
            found.add(add_months(s, k))
            k += 1
    for p in h.residence:
        found.add(p.start)
        if p.end is not None:
            found.add(p.end)
    n = month_number(month_of(as_of)) + 1
    while first_day(n) <= last:
        found.add(first_day(n))
        n += 1
    for a in h.adjustments:
        found.add(a.start)
        if a.end is not None:
            found.add(a.end)
    found.add(h.permit.issued_on)
    return sorted(d for d in found if as_of < d <= last)


def every_day(as_of: date, until: date) -> list[date]:
    """The days after D up to `until`: checking each of them is slow but needs no argument."""
    return [as_of + timedelta(days=n) for n in range(1, (until - as_of).days + 1)]


def projected_on(
    records: dict[str, Any] | Holder,
    policy: dict[str, Any],
    as_of: date,
    dates: list[date] | None = None,
) -> dict[str, date | None]:
    """SPEC §6.4: per domain, the first of `dates` (SPEC's candidate dates unless given) on
    which the level, counted from scratch as of that date under the projection's records,
    exceeds today's; None when there is none, or no next tier."""
    h = holder(records)
    today = levels(policy, facts(h, policy, as_of))
    future = projection_holder(h, as_of)
    found: dict[str, date | None] = dict.fromkeys(policy["domains"])
    pending = [d for d, tiers in policy["domains"].items() if today[d] < len(tiers)]
    for day in candidate_dates(h, policy, as_of) if dates is None else dates:
        if not pending:
            break
        then = facts(future, policy, day)
        for domain in list(pending):
            if level(policy["domains"][domain], then) > today[domain]:
                found[domain] = day
                pending.remove(domain)
    return found


# --- the whole answer --------------------------------------------------------------------------


def score(records: dict[str, Any] | Holder, policy: dict[str, Any], as_of: date) -> dict[str, Any]:
    """The numbers of SPEC §7's score answer, in the keys of a policy case's `output` (§5) and
    the components, `missing` of each next tier and `projected_on`."""
    h = holder(records)
    f = facts(h, policy, as_of)
    return {
        "total_points": f.total_points,
        "residence_months": f.residence_months,
        "insurance_months": f.insurance_months,
        "permit_valid": f.permit_valid,
        "points": (f.residence_points, f.insurance_points, f.adjustment_points),
        "items": list(f.items),
        "levels": levels(policy, f),
        "missing": next_missing(policy, f),
        "projected_on": projected_on(h, policy, as_of),
    }
