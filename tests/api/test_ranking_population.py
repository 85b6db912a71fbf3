"""The stored ranking equals the engine's, holder by holder, on a synthetic population.

On PostgreSQL the ranking is one SQL statement (`app/scoring/ranking_sql.py`) and this is
what keeps it honest: every policy variant below (cumulative and continuous counting, gaps,
insurance types, repeatable and negative adjustments) at dates chosen to hit month ends and
the population's edges, compared with `engine.facts_at` on the same records. On SQLite the
ranking goes through the engine itself and the test checks the stored order.
"""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app import engine as scoring
from app.bench.cli import population_catalogue
from app.bench.populate import populate
from app.domain.policy import Policy
from app.policies.service import PolicyCache
from app.scoring.models import RankingEntry
from app.scoring.ranking import RankedHolder, new_snapshot, population

JURISDICTION = "441700"
HOLDERS = 300


def _variants(policy: Policy) -> dict[str, Policy]:
    residence = policy.indicators.residence
    insurance = policy.indicators.insurance

    def variant(residence_changes: dict, insurance_changes: dict, **changes: object) -> Policy:
        indicators = policy.indicators.model_copy(
            update={
                "residence": residence.model_copy(update=residence_changes),
                "insurance": insurance.model_copy(update=insurance_changes),
            }
        )
        return policy.model_copy(update={"indicators": indicators, **changes})

    penalties = [
        entry.model_copy(update={"repeatable": True, "points": -7 if i % 2 else 3})
        for i, entry in enumerate(policy.adjustments)
    ]
    return {
        "shipped": policy,
        "continuous, no gap": variant(
            {"counting": "continuous", "max_gap_days": 0},
            {"counting": "continuous", "max_gap_months": 0},
        ),
        "continuous, gaps allowed, pension only": variant(
            {"counting": "continuous", "max_gap_days": 45},
            {"counting": "continuous", "max_gap_months": 3, "types": ["pension"]},
        ),
        "two types, repeatable and negative adjustments": variant(
            {"points_per_year": 5, "cap": 200},
            {"types": ["medical", "unemployment"], "points_per_year": 1, "cap": 7},
            adjustments=penalties,
        ),
    }


@pytest.fixture
def populated(engine: sa.Engine, shipped_policies: list[str]) -> Policy:
    with Session(engine) as session:
        book = PolicyCache().get(session)
    districts, codes = population_catalogue(book, JURISDICTION)
    populate(
        engine,
        holders=HOLDERS,
        seed=11,
        jurisdiction=JURISDICTION,
        districts=districts,
        adjustment_codes=codes,
    )
    policy = book.in_force(JURISDICTION, date(2024, 1, 1))
    assert policy is not None
    return policy


@pytest.mark.parametrize(
    "as_of",
    [date(2014, 2, 28), date(2019, 1, 31), date(2023, 3, 1), date(2025, 12, 31), date(2027, 8, 31)],
)
def test_stored_ranking_equals_the_engine(
    engine: sa.Engine, populated: Policy, as_of: date
) -> None:
    for name, policy in _variants(populated).items():
        with Session(engine) as session:
            expected = sorted(
                (
                    RankedHolder(holder_id, f.total_points, f.insurance_months, f.residence_months)
                    for holder_id, records in population(session, JURISDICTION, as_of)
                    for f in [scoring.facts_at(records, policy, as_of)]
                ),
                key=RankedHolder.order_key,
            )
            snapshot = new_snapshot(session, policy, as_of)
            stored = session.exec(
                select(RankingEntry)
                .where(RankingEntry.snapshot_id == snapshot.id)
                .order_by(col(RankingEntry.rank))
            ).all()
        assert [e.rank for e in stored] == list(range(1, len(expected) + 1)), name
        assert [
            RankedHolder(e.holder_id, e.total_points, e.insurance_months, e.residence_months)
            for e in stored
        ] == expected, f"{name} at {as_of}"
        assert len(expected) >= 40, name  # permits are issued from 2012 to 2025
        # Spread enough to mean something. Yangjiang's shipped file counts every insurance type
        # (its plan says 社会保险), so overlapping types share months: 39 pairs at the earliest date.
        assert len({(r.residence_months, r.insurance_months) for r in expected}) >= 35, name
