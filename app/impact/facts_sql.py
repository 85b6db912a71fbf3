"""The facts of a whole population under two policies, counted in one PostgreSQL statement and
grouped, so that only the distinct combinations leave the server (issue 17).

A draft's impact needs each holder's `engine.Facts` under the policy in force and under the
draft. The statement counts every fact the way `engine.facts_at` does (the months and points
with the ranking's CTEs, `app.scoring.ranking_sql`, once per policy, or once for both where the
two policies count alike), then groups the holders by (facts before, facts after) with their
number and their first ids. Python then judges the requirements once a group
(`Comparison.add_facts`).

What the two policies share is counted once: the clipped periods, the current residence (the
draft is of the same jurisdiction), the adjustments active at D. What may differ is counted
per policy: the months (counting, gaps, insurance types) and the points (per year, caps, the
adjustments catalogue).

Exact months make nearly every holder a group of their own, so before grouping each fact is
reduced to what the comparison can tell apart (`_seen`): months at or beyond the largest
threshold a policy sets meet every threshold and miss none; points likewise, but for the
histogram's bin; a housing kind only matters where a requirement names housing kinds, a code
where an `adjustments_any` names it. The comparison's answer is the same, and a population
makes as many groups as it has distinct answers, not holders.

PostgreSQL only, for the ranking's reason (its month arithmetic clamps as SPEC §6.2 asks). The
tests compare it with the per-holder path on random populations and policies.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.policy import Alternative, Policy
from app.engine import Facts
from app.impact.compare import EXAMPLES, POINTS_BIN
from app.scoring.ranking_sql import (
    active_adjustments,
    adjustment_points,
    date_parameters,
    insurance_months,
    insurance_periods,
    plan_whole_tables,
    policy_parameters,
    residence_months,
    residence_periods,
    total_points,
    valid_holders,
)

STREAM_BATCH = 10_000  # grouped rows fetched at a time

# SPEC §6.3: the current residence is the matching period with start <= D < end (or open) that
# started last, on equal starts the one recorded first (`engine.current_residence`). Its
# township's kind as `app.domain.codes.area_kind` reads the township's last three digits.
HOMES = """
homes AS (
    SELECT DISTINCT ON (r.holder_id) r.holder_id, r.district, r.housing,
           CASE WHEN r.township IS NULL THEN NULL
                WHEN substr(r.township, 7)::int < 100 THEN 'subdistrict'
                WHEN substr(r.township, 7)::int < 200 THEN 'town'
                WHEN substr(r.township, 7)::int < 400 THEN 'township'
                ELSE 'other' END AS area_kind
    FROM residence_periods r JOIN valid v ON v.id = r.holder_id
    WHERE r.district LIKE :prefix AND r.start_date <= :as_of
      AND (r.end_date IS NULL OR r.end_date > :as_of)
    ORDER BY r.holder_id, r.start_date DESC, r.seq
),"""

# The active codes that some `adjustments_any` names (no other code changes an answer once the
# points are counted), sorted so that equal sets group together. Each policy's own
# `active_codes` is its catalogue's part of them.
ACTIVE_CODES = """
active_codes AS (
    SELECT holder_id, array_agg(code ORDER BY code) AS codes
    FROM active_adjustments
    WHERE code = ANY(CAST(:judged_codes AS text[]))
    GROUP BY holder_id
),"""

# The facts that make a group: points and months under each policy, then what is the same
# under both.
KEYS = (
    "current_points", "current_residence", "current_insurance",
    "draft_points", "draft_residence", "draft_insurance",
    "district", "housing", "area_kind", "codes",
)  # fmt: skip


def _seen(side: str) -> str:
    """A side's points and months as the comparison tells them apart. At or beyond the
    largest threshold of the side's policy (`:{side}_..._judged`) they meet every threshold
    and are short of none: months are held there, points at the larger of the threshold and
    their bin's lower bound (still in their bin, since the threshold is at most the points)."""
    return f"""
           CASE WHEN {side}_points >= :{side}_points_judged
                THEN GREATEST(:{side}_points_judged, {side}_points / :points_bin * :points_bin)
                ELSE {side}_points END AS {side}_points,
           LEAST({side}_residence, :{side}_residence_judged) AS {side}_residence,
           LEAST({side}_insurance, :{side}_insurance_judged) AS {side}_insurance,"""


def _mappings(policy: Policy) -> list[Alternative]:
    """Every requirements mapping of the policy: each tier's, and each of its alternatives."""
    tiers = [tier.requires for tiers in policy.domains.values() for tier in tiers]
    return [*tiers, *(a for requires in tiers for a in requires.any_of or [])]


def _judged(policy: Policy, side: str) -> dict[str, int]:
    """The largest threshold of each number the policy's requirements compare (0: none)."""
    mappings = _mappings(policy)

    def largest(key: str) -> int:
        return max((getattr(m, key) for m in mappings if getattr(m, key) is not None), default=0)

    return {
        f"{side}_points_judged": largest("min_points"),
        f"{side}_residence_judged": largest("min_residence_months"),
        f"{side}_insurance_judged": largest("min_insurance_months"),
    }


def _residence_key(policy: Policy) -> tuple[Any, ...]:
    indicator = policy.indicators.residence
    return indicator.counting, indicator.max_gap_days or 0


def _insurance_key(policy: Policy) -> tuple[Any, ...]:
    indicator = policy.indicators.insurance
    return frozenset(indicator.types), indicator.counting, indicator.max_gap_months or 0


def facts_statement(current: Policy, draft: Policy) -> sa.TextClause:
    """The statement for these two policies: the draft's months get CTEs of their own only
    where it counts them otherwise than the policy in force (most drafts move thresholds and
    points, not how months are counted; counting them twice would cost as much again)."""
    ctes = [valid_holders(), residence_periods(), residence_months("current_")]
    draft_residence = "residence_months"
    if _residence_key(draft) != _residence_key(current):
        ctes.append(residence_months("draft_", "draft_residence"))
        draft_residence = "draft_residence_months"
    ctes += [insurance_periods("current_"), insurance_months("current_")]
    draft_insurance = "insurance_months"
    if _insurance_key(draft) != _insurance_key(current):
        source = "insurance"
        if set(draft.indicators.insurance.types) != set(current.indicators.insurance.types):
            ctes.append(insurance_periods("draft_", "draft_insurance"))
            source = "draft_insurance"
        ctes.append(insurance_months("draft_", "draft_insurance", source))
        draft_insurance = "draft_insurance_months"
    ctes += [
        active_adjustments(),
        adjustment_points("current_"),
        adjustment_points("draft_"),
        ACTIVE_CODES,
        HOMES,
    ]
    keys = ", ".join(KEYS)
    return sa.text(f"""
WITH {"".join(ctes)}
facts AS (
    SELECT v.id,
           {total_points("current_", "r.months", "i.months", "cp.points")} AS current_points,
           COALESCE(r.months, 0) AS current_residence,
           COALESCE(i.months, 0) AS current_insurance,
           {total_points("draft_", "dr.months", "di.months", "dp.points")} AS draft_points,
           COALESCE(dr.months, 0) AS draft_residence,
           COALESCE(di.months, 0) AS draft_insurance,
           h.district, h.housing, h.area_kind, COALESCE(c.codes, '{{}}') AS codes
    FROM valid v
    LEFT JOIN residence_months r ON r.holder_id = v.id
    LEFT JOIN insurance_months i ON i.holder_id = v.id
    LEFT JOIN {draft_residence} dr ON dr.holder_id = v.id
    LEFT JOIN {draft_insurance} di ON di.holder_id = v.id
    LEFT JOIN current_adjustment_points cp ON cp.holder_id = v.id
    LEFT JOIN draft_adjustment_points dp ON dp.holder_id = v.id
    LEFT JOIN active_codes c ON c.holder_id = v.id
    LEFT JOIN homes h ON h.holder_id = v.id
),
seen AS (
    SELECT id,{_seen("current")}{_seen("draft")}
           district, area_kind, CASE WHEN :housing_judged THEN housing END AS housing, codes
    FROM facts
),
-- A group's first ids in holder-id order (uuids compare as their hexadecimal text), as the
-- per-holder comparison, which reads holders in that order, keeps a cell's examples.
numbered AS (
    SELECT seen.*, ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY id) AS nth
    FROM seen
)
SELECT {keys}, COUNT(*) AS holders, array_agg(id) FILTER (WHERE nth <= {EXAMPLES}) AS examples
FROM numbered
GROUP BY {keys}
""")


@dataclass(frozen=True)
class FactsGroup:
    """Holders whose facts, as the comparison tells them apart, are `before` under the policy
    in force and `after` under the draft: how many, and their first ids in holder-id order."""

    before: Facts
    after: Facts
    holders: int
    examples: tuple[uuid.UUID, ...]


def facts_groups(
    connection: Connection, current: Policy, draft: Policy, as_of: date
) -> Iterator[FactsGroup]:
    """Every holder of the draft's jurisdiction with a valid permit at `as_of`, grouped by their
    facts under `current` and under `draft` (the same jurisdiction), streamed."""
    mappings = _mappings(current) + _mappings(draft)
    parameters = {
        **date_parameters(draft.jurisdiction.code, as_of),
        **policy_parameters(current, "current_"),
        **policy_parameters(draft, "draft_"),
        **_judged(current, "current"),
        **_judged(draft, "draft"),
        "points_bin": POINTS_BIN,
        "housing_judged": any(m.current_housing_in is not None for m in mappings),
        "judged_codes": sorted({code for m in mappings for code in m.adjustments_any or []}),
    }
    current_codes = frozenset(a.code for a in current.adjustments)
    draft_codes = frozenset(a.code for a in draft.adjustments)
    plan_whole_tables(connection)
    statement = facts_statement(current, draft).execution_options(yield_per=STREAM_BATCH)
    for row in connection.execute(statement, parameters):
        codes = frozenset(row.codes)
        # Only holders with a valid permit at D are counted (`valid`): the permit is valid.
        before = Facts(
            total_points=row.current_points,
            residence_months=row.current_residence,
            insurance_months=row.current_insurance,
            permit_valid=True,
            current_district=row.district,
            current_housing=row.housing,
            current_area_kind=row.area_kind,
            active_codes=codes & current_codes,
        )
        # The current residence is the same under both policies; months, points and codes not.
        after = before._replace(
            total_points=row.draft_points,
            residence_months=row.draft_residence,
            insurance_months=row.draft_insurance,
            active_codes=codes & draft_codes,
        )
        yield FactsGroup(before, after, row.holders, tuple(sorted(row.examples)))
