"""A jurisdiction's whole ranking in one PostgreSQL statement (SPEC §6.2, §6.3, §7).

The months of SPEC §6.2 are gaps-and-islands problems: clip each matching period at D, merge
overlapping or touching intervals with window functions, count each island's whole months (or
distinct months), and for `counting: continuous` keep only the islands after the last gap that
is too long. Adjustments are summed through the policy's catalogue; the order is numbered and
stored without a row leaving the server. Only ranking needs this: points and months, never
levels or projections, which stay with `engine.score`.

The statement is built from CTE builders that the impact of a draft (`app.impact.facts_sql`)
shares: it counts the same months and points under two policies in one statement. A policy's
numbers are bound parameters whose names start with a prefix (`policy_parameters`), so that
two policies can sit side by side; the ranking's prefix is empty.

PostgreSQL only: `date + interval 'k months'` clamps to the month's last day as SPEC §6.2 asks
(`2024-01-31 + 1 month = 2024-02-29`); SQLite's date arithmetic does not, so SQLite ranks
through the engine in Python. The test suite compares the two on random populations and policy
variants.
"""

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.calendar import Month
from app.domain.codes import jurisdiction_prefix
from app.domain.policy import Policy
from app.engine.counting import TOTAL_POINTS_MAX

_MONTH_INDEX = "(EXTRACT(YEAR FROM {0})::int * 12 + EXTRACT(MONTH FROM {0})::int - 1)"


def _latest_run_months(
    name: str, source: str, months: str, *, continuous: str, gap: str, d: str
) -> str:
    """CTEs turning `{source}(holder_id, seq, s, e)`, half-open intervals clipped at D, into
    `{name}_months(holder_id, months)`: the same steps for days and for months (SPEC §6.2).

    An interval opens a new island unless it starts on or before the furthest end so far
    (overlapping or touching intervals merge); `months` counts an island [s, e). With
    continuous counting the run is the islands after the last gap longer than `gap`, and it
    must end within `gap` of D; gaps never count.

    Every window has a unique order, so that no answer depends on how the planner sorts. The
    intervals are ordered by `(s, e, seq)`: a holder may record two identical periods, and the
    two windows that mark and number the islands must see them in the same order (were the one
    that opens an island numbered after its twin, the twin would join the island before). The
    merged islands of a holder are disjoint and apart, so their `s` alone is unique.
    """
    return f"""
{name}_marked AS (
    SELECT holder_id, seq, s, e, CASE WHEN s <= MAX(e) OVER (
        PARTITION BY holder_id ORDER BY s, e, seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) THEN 0 ELSE 1 END AS opens
    FROM {source}
),
{name}_islands AS (
    SELECT holder_id, s, e, {months} AS months,
           CASE WHEN LEAD(s) OVER (PARTITION BY holder_id ORDER BY s) - e > {gap}
                THEN 1 ELSE 0 END AS breaks
    FROM (
        SELECT holder_id, MIN(s) AS s, MAX(e) AS e
        FROM (
            SELECT holder_id, s, e,
                   SUM(opens) OVER (
                       PARTITION BY holder_id ORDER BY s, e, seq ROWS UNBOUNDED PRECEDING
                   ) AS island
            FROM {name}_marked
        ) numbered
        GROUP BY holder_id, island
    ) merged
),
{name}_months AS (
    SELECT holder_id,
           CASE WHEN NOT {continuous} THEN SUM(months)
                WHEN {d} - MAX(e) > {gap} THEN 0
                ELSE SUM(months) FILTER (WHERE breaks_after = 0) END AS months
    FROM (
        SELECT holder_id, e, months,
               SUM(breaks) OVER (PARTITION BY holder_id ORDER BY s DESC ROWS UNBOUNDED PRECEDING)
                   AS breaks_after
        FROM {name}_islands
    ) runs
    GROUP BY holder_id
),"""


# Whole months of [s, e): the largest k with s + k months <= e; s + k0 months falls in e's
# month, so k is k0 or, when that lands after e, k0 - 1.
_K0 = f"({_MONTH_INDEX.format('e')} - {_MONTH_INDEX.format('s')})"
_WHOLE_MONTHS = f"{_K0} - CASE WHEN s + make_interval(months => {_K0}) > e THEN 1 ELSE 0 END"


# --- the builders, shared with app.impact.facts_sql ---------------------------------------------


def valid_holders() -> str:
    """`valid(id)`: the jurisdiction's holders with a valid permit at D (SPEC §6.3)."""
    return """
valid AS (
    SELECT id FROM holders
    WHERE jurisdiction = :jurisdiction AND permit_status = 'active'
      AND permit_issued_on <= :as_of AND permit_valid_until >= :as_of
),"""


def residence_periods() -> str:
    """`residence(holder_id, seq, s, e)`: matching periods clipped to [start, min(end, D));
    those starting at D or later are empty and dropped. Days. The same for every policy of
    the jurisdiction."""
    return """
residence AS (
    SELECT r.holder_id, r.seq, r.start_date AS s,
           LEAST(COALESCE(r.end_date, :as_of), :as_of) AS e
    FROM residence_periods r JOIN valid v ON v.id = r.holder_id
    WHERE r.district LIKE :prefix AND r.start_date < :as_of
),"""


def residence_months(prefix: str, name: str = "residence") -> str:
    """`{name}_months(holder_id, months)` of `residence` under the policy of `prefix`."""
    return _latest_run_months(
        name,
        "residence",
        _WHOLE_MONTHS,
        continuous=f":{prefix}residence_continuous",
        gap=f":{prefix}max_gap_days",
        d=":as_of",
    )


def insurance_periods(prefix: str, name: str = "insurance") -> str:
    """`{name}(holder_id, seq, s, e)`: month indexes of matching periods of the policy's
    counted types, as half-open ranges [first, last + 1) clipped at D's month (only months
    ended before D count). Months."""
    return f"""
{name} AS (
    SELECT i.holder_id, i.seq, {_MONTH_INDEX.format("i.start_month")} AS s,
           LEAST(COALESCE({_MONTH_INDEX.format("i.end_month")} + 1, :month_of_d_index),
                 :month_of_d_index) AS e
    FROM insurance_periods i JOIN valid v ON v.id = i.holder_id
    WHERE i.district LIKE :prefix AND i.start_month < :month_of_d
      AND (cardinality(CAST(:{prefix}types AS text[])) = 0
           OR i.type = ANY(CAST(:{prefix}types AS text[])))
),"""


def insurance_months(prefix: str, name: str = "insurance", source: str = "insurance") -> str:
    """`{name}_months(holder_id, months)` of `source` under the policy of `prefix`."""
    return _latest_run_months(
        name,
        source,
        "e - s",
        continuous=f":{prefix}insurance_continuous",
        gap=f":{prefix}max_gap_months",
        d=":month_of_d_index",
    )


def active_adjustments() -> str:
    """`active_adjustments(holder_id, code, n)`: each code's records active at D (SPEC §6.3),
    whatever the catalogue."""
    return """
active_adjustments AS (
    SELECT a.holder_id, a.code, COUNT(*) AS n
    FROM adjustments a JOIN valid v ON v.id = a.holder_id
    WHERE a.effective_from <= :as_of AND (a.effective_to IS NULL OR a.effective_to > :as_of)
    GROUP BY a.holder_id, a.code
),"""


def adjustment_points(prefix: str) -> str:
    """`{prefix}adjustment_points(holder_id, points)`: active adjustments through the policy's
    catalogue; a code counts once unless repeatable. Points are BIGINT and their sum NUMERIC:
    a repeatable code times its active records has no bound of its own (see `total_points`)."""
    return f"""
{prefix}catalogue AS (
    SELECT * FROM unnest(
        CAST(:{prefix}codes AS text[]), CAST(:{prefix}points AS bigint[]),
        CAST(:{prefix}repeatable AS boolean[])
    ) AS c(code, points, repeatable)
),
{prefix}adjustment_points AS (
    SELECT active.holder_id,
           SUM(c.points * CASE WHEN c.repeatable THEN active.n ELSE 1 END) AS points
    FROM active_adjustments active JOIN {prefix}catalogue c ON c.code = active.code
    GROUP BY active.holder_id
),"""


def total_points(prefix: str, residence: str, insurance: str, adjustments: str) -> str:
    """SPEC §6.2-§6.3 total points, an INTEGER expression over the months `residence` and
    `insurance` and the adjustment points `adjustments` (each NULL when the holder has none):
    each indicator's years times its points, capped, plus adjustments, at least 0 and held at
    `:total_max` (the column that stores totals is an INTEGER)."""
    return f"""CAST(LEAST(CAST(:total_max AS bigint), GREATEST(0,
               LEAST(CAST(:{prefix}residence_cap AS bigint),
                     CAST(:{prefix}residence_per_year AS bigint) * (COALESCE({residence}, 0) / 12))
               + LEAST(CAST(:{prefix}insurance_cap AS bigint),
                       CAST(:{prefix}insurance_per_year AS bigint)
                       * (COALESCE({insurance}, 0) / 12))
               + COALESCE({adjustments}, 0))) AS integer)"""


def date_parameters(jurisdiction: str, as_of: date) -> dict[str, Any]:
    """The parameters of the builders that do not depend on a policy."""
    month_of_d = Month.of(as_of)
    return {
        "jurisdiction": jurisdiction,
        "prefix": jurisdiction_prefix(jurisdiction) + "%",
        "as_of": as_of,
        "month_of_d": month_of_d.first_day,
        "month_of_d_index": month_of_d.index,
        "total_max": TOTAL_POINTS_MAX,
    }


def policy_parameters(policy: Policy, prefix: str = "") -> dict[str, Any]:
    """The policy's numbers as the builders of `prefix` bind them."""
    residence = policy.indicators.residence
    insurance = policy.indicators.insurance
    parameters = {
        "residence_continuous": residence.counting == "continuous",
        "max_gap_days": residence.max_gap_days or 0,
        "residence_cap": residence.cap,
        "residence_per_year": residence.points_per_year,
        "types": list(insurance.types),
        "insurance_continuous": insurance.counting == "continuous",
        "max_gap_months": insurance.max_gap_months or 0,
        "insurance_cap": insurance.cap,
        "insurance_per_year": insurance.points_per_year,
        "codes": [a.code for a in policy.adjustments],
        "points": [a.points for a in policy.adjustments],
        "repeatable": [a.repeatable for a in policy.adjustments],
    }
    return {prefix + key: value for key, value in parameters.items()}


def plan_whole_tables(connection: Connection) -> None:
    """The statements of this module read whole tables; joined row by row they take hours. A
    planner that has no statistics yet (just after a bulk load, before autovacuum's ANALYZE)
    takes the tables for nearly empty and picks nested loops: 30,000 holders took over 5
    minutes, not 0.7 s."""
    connection.execute(sa.text("SET LOCAL enable_nestloop = off"))


RANK_INTO_SNAPSHOT = sa.text(f"""
WITH {valid_holders()}{residence_periods()}{residence_months("")}{insurance_periods("")}{
    insurance_months("")
}{active_adjustments()}{adjustment_points("")}
scored AS (
    SELECT v.id, COALESCE(r.months, 0) AS residence, COALESCE(i.months, 0) AS insurance,
           {total_points("", "r.months", "i.months", "p.points")} AS total
    FROM valid v
    LEFT JOIN residence_months r ON r.holder_id = v.id
    LEFT JOIN insurance_months i ON i.holder_id = v.id
    LEFT JOIN adjustment_points p ON p.holder_id = v.id
)
INSERT INTO ranking_entries
    (snapshot_id, rank, holder_id, total_points, insurance_months, residence_months)
SELECT :snapshot_id,
       ROW_NUMBER() OVER (ORDER BY total DESC, insurance DESC, residence DESC, id),
       id, total, insurance, residence
FROM scored
""")


def rank_into_snapshot(
    connection: Connection, snapshot_id: uuid.UUID, policy: Policy, as_of: date
) -> None:
    """Store the ranking of the policy's jurisdiction at `as_of` as the snapshot's entries.

    Holder ids order as their text does (SPEC §7's last tie-break): PostgreSQL compares uuids
    byte by byte, which is the order of their hexadecimal text.
    """
    parameters = {
        "snapshot_id": snapshot_id,
        **date_parameters(policy.jurisdiction.code, as_of),
        **policy_parameters(policy),
    }
    plan_whole_tables(connection)
    connection.execute(RANK_INTO_SNAPSHOT, parameters)
