"""On PostgreSQL the impact of a draft is counted in the database (`app/impact/facts_sql.py`):
this keeps it honest against the per-holder comparison (`compare` over `population`, every
holder's records through `engine.facts_at`), whose answer it must equal to the last example.

A synthetic population (`jifen bench populate`'s) with what it lacks added: townships of every
kind, periods starting and ending on the dates compared, equal starts (the current residence
is the one recorded first), repeated adjustment codes (repeatable entries count each record)
and a code no shipped catalogue has. Both the policy in force and the draft are random variants
of Yangjiang's shipped policy, parsed as documents: months counted otherwise (continuous, gaps,
insurance types), other points, caps and catalogues, other thresholds and area, district,
housing and adjustment requirements, an extra tier.
"""

import random
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.bench.cli import population_catalogue
from app.bench.populate import populate
from app.db.base import table_of
from app.domain.policy import Policy
from app.impact.compare import compare
from app.impact.facts_sql import facts_groups
from app.impact.service import compare_population
from app.policies.document import parse_policy
from app.policies.service import PolicyCache
from app.register.models import Adjustment, Holder, ResidencePeriod
from app.scoring.ranking import population
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the SQL path is PostgreSQL's")

JURISDICTION = "441700"
DISTRICTS = ["441702", "441704", "441721", "441781"]
HOLDERS = 400
DATES = [date(2019, 1, 31), date(2023, 3, 1), date(2025, 12, 31)]
VARIANTS = 8  # random (policy in force, draft) pairs a date
# The last three digits of a township code: each area kind, at its edges.
TOWNSHIPS = ["001", "099", "100", "199", "200", "399", "400", "999"]
HOUSING = ["owned", "rented", "employer", "collective", "other"]
INSURANCE_TYPES = ["pension", "medical", "unemployment", "work_injury", "maternity"]
UNKNOWN_CODE = "volunteer"  # recorded for some holders; only random catalogues have it


def _edge_records(engine: sa.Engine, rng: random.Random) -> None:
    """Townships on most residence periods, and the cases a synthetic population seldom has."""
    residence, adjustments = table_of(ResidencePeriod), table_of(Adjustment)
    with engine.begin() as connection:
        periods = connection.execute(
            sa.select(residence.c.id, residence.c.district).order_by(residence.c.seq)
        ).all()
        townships = [
            {"row": p.id, "township": p.district + rng.choice(TOWNSHIPS)}
            for p in periods
            if p.district[:4] == "4417" and rng.random() < 0.8
        ]
        connection.execute(
            residence.update()
            .where(residence.c.id == sa.bindparam("row"))
            .values(township=sa.bindparam("township")),
            townships,
        )
        holders = connection.execute(select(col(Holder.id)).order_by(col(Holder.seq))).scalars()
        new_periods, new_adjustments = [], []
        for holder_id in list(holders)[::3]:
            d = rng.choice(DATES)
            district = rng.choice(DISTRICTS)
            start = rng.choice([d, d - timedelta(days=rng.randrange(1, 400))])
            end = rng.choice([None, d, d + timedelta(days=1), start + timedelta(days=40)])
            # Twins: the same start, another township and housing; the first one recorded is
            # the current residence.
            for _ in range(rng.choice([1, 2, 2, 3])):
                new_periods.append({
                    "id": uuid.uuid4(), "holder_id": holder_id, "district": district,
                    "start_date": start,
                    "end_date": end if end is None or end > start else None,
                    "housing": rng.choice(HOUSING),
                    "township": rng.choice([None, district + rng.choice(TOWNSHIPS)]),
                    "source": "test",
                })  # fmt: skip
            code = rng.choice(["college_degree", "kin_in_city", UNKNOWN_CODE])
            for _ in range(rng.choice([1, 2, 3])):
                begins = rng.choice([d, d - timedelta(days=rng.randrange(1, 900))])
                ends = rng.choice([None, d, d + timedelta(days=rng.randrange(1, 90))])
                new_adjustments.append({
                    "id": uuid.uuid4(), "holder_id": holder_id, "code": code,
                    "effective_from": begins,
                    "effective_to": ends if ends is None or ends > begins else None,
                })  # fmt: skip
        connection.execute(residence.insert(), new_periods)
        connection.execute(adjustments.insert(), new_adjustments)


def _some(rng: random.Random, values: list[str]) -> list[str]:
    return rng.sample(values, rng.randint(1, len(values)))


def _tweak(rng: random.Random, requires: dict[str, Any], catalogue: list[str]) -> None:
    """Random thresholds and conditions on one requirements mapping, as a document writes them."""
    for key, high in (("min_points", 60), ("min_insurance_months", 120)):
        if key in requires or rng.random() < 0.2:
            requires[key] = rng.randint(0, high)
    if rng.random() < 0.2:
        requires["min_residence_months"] = rng.randint(0, 120)
    if rng.random() < 0.15:
        requires["current_housing_in"] = _some(rng, HOUSING)
    if rng.random() < 0.15:
        requires["current_area_kind_in"] = _some(rng, ["subdistrict", "town", "township", "other"])
    if rng.random() < 0.1:
        requires["current_district_not_in"] = _some(rng, DISTRICTS)
    if rng.random() < 0.15:
        requires["adjustments_any"] = _some(rng, catalogue)


def _variant(rng: random.Random, shipped: Policy, version: str) -> Policy:
    """The shipped policy with random indicators, catalogue and requirements; often the
    shipped indicators themselves, so that both of the statement's shapes are exercised (the
    draft counting months as the policy in force does, or otherwise)."""
    data = shipped.served()
    data["version"] = version
    indicators = data["indicators"]
    if rng.random() < 0.5:
        residence = indicators["residence"]
        residence["counting"] = rng.choice(["cumulative", "continuous"])
        residence["max_gap_days"] = rng.choice([0, 31, 365])
        residence["points_per_year"] = rng.randint(0, 5)
        residence["cap"] = rng.randint(0, 60)
    if rng.random() < 0.5:
        insurance = indicators["insurance"]
        insurance["types"] = rng.choice([[], _some(rng, INSURANCE_TYPES)])
        insurance["counting"] = rng.choice(["cumulative", "continuous"])
        insurance["max_gap_months"] = rng.choice([0, 2, 6])
        insurance["points_per_year"] = rng.randint(0, 5)
        insurance["cap"] = rng.randint(0, 60)
    if rng.random() < 0.5:
        name = {"zh": "志愿服务", "en": "Volunteering"}
        data["adjustments"].append({"code": UNKNOWN_CODE, "points": 0, "name": name})
    for entry in data["adjustments"]:
        if rng.random() < 0.7:
            entry["points"] = rng.randint(-15, 15)
            entry["repeatable"] = rng.random() < 0.5
    catalogue = [entry["code"] for entry in data["adjustments"]]
    for tiers in data["domains"].values():
        for tier in tiers:
            if rng.random() < 0.6:
                _tweak(rng, tier["requires"], catalogue)
            for alternative in tier["requires"].get("any_of", []):
                if rng.random() < 0.3:
                    _tweak(rng, alternative, catalogue)
    if rng.random() < 0.3:
        top = data["domains"]["housing"][-1]
        data["domains"]["housing"].append(
            top | {"level": top["level"] + 1, "code": "extra", "requires": {"min_points": 55}}
        )
    return parse_policy(data, version)


@pytest.fixture
def shipped(engine: sa.Engine, shipped_policies: list[str]) -> Policy:
    with Session(engine) as session:
        book = PolicyCache().get(session)
    districts, codes = population_catalogue(book, JURISDICTION)
    populate(
        engine,
        holders=HOLDERS,
        seed=17,
        jurisdiction=JURISDICTION,
        districts=districts,
        adjustment_codes=codes,
    )
    _edge_records(engine, random.Random(17))
    policy = book.in_force(JURISDICTION, date(2024, 1, 1))
    assert policy is not None
    return policy


def per_holder(engine: sa.Engine, current: Policy, draft: Policy, as_of: date) -> dict[str, Any]:
    """The oracle: every holder's records read and counted by the engine."""
    with Session(engine) as session:
        return compare(population(session, JURISDICTION, as_of), current, draft, as_of).as_json()


def in_the_database(
    engine: sa.Engine, current: Policy, draft: Policy, as_of: date
) -> dict[str, Any]:
    with Session(engine) as session:
        return compare_population(session, current, draft, as_of).as_json()


@pytest.mark.parametrize("as_of", DATES)
def test_the_sql_path_equals_the_per_holder_path(
    engine: sa.Engine, shipped: Policy, as_of: date
) -> None:
    rng = random.Random(f"impact:{as_of}")
    pairs = [(shipped, _variant(rng, shipped, "draft-0"))] + [
        (_variant(rng, shipped, f"current-{i}"), _variant(rng, shipped, f"draft-{i}"))
        for i in range(1, VARIANTS)
    ]
    changed = 0
    for i, (current, draft) in enumerate(pairs):
        expected = per_holder(engine, current, draft, as_of)
        assert in_the_database(engine, current, draft, as_of) == expected, f"pair {i} at {as_of}"
        cells = [c for d in expected["domains"].values() for c in d["transitions"]]
        changed += sum(a != b for a, b in (c.split("->") for c in cells))
    # Enough happens for the equality to mean something: holders, changes and every kind.
    assert expected["holders"] >= 150
    assert changed >= VARIANTS
    kinds = {k for d in expected["domains"].values() for k in d["by_area_kind"]}
    assert kinds, "no gainers nor losers by area kind"


def test_only_distinct_facts_leave_the_server(engine: sa.Engine, shipped: Policy) -> None:
    as_of = DATES[1]
    draft = _variant(random.Random(1), shipped, "draft")
    with Session(engine) as session:
        groups = list(facts_groups(session.connection(), shipped, draft, as_of))
        holders = sum(1 for _ in population(session, JURISDICTION, as_of))
    assert sum(g.holders for g in groups) == holders
    assert len(groups) < holders
    assert all(list(g.examples) == sorted(g.examples) for g in groups)
    assert all(len(g.examples) == min(3, g.holders) for g in groups)
