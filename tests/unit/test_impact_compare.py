"""The comparison fed by groups of holders (`Comparison.add_facts`, as the database path feeds
it) keeps the same examples as holder by holder: each cell's first ids in holder-id order."""

import uuid
from datetime import date
from itertools import permutations

from app.engine import Facts
from app.impact.compare import Comparison
from app.policies.document import load_policy_yaml
from tests.conftest import FIXTURES

FACTS = Facts(
    total_points=0,
    residence_months=0,
    insurance_months=0,
    permit_valid=True,
    current_district=None,
    current_housing=None,
    current_area_kind=None,
    active_codes=frozenset(),
)


def test_a_cells_examples_are_its_first_ids_whatever_order_its_groups_come_in() -> None:
    path = FIXTURES / "example_policy.yaml"
    policy = load_policy_yaml(path.read_text(encoding="utf-8"), path.name)
    ids = sorted(uuid.UUID(int=n * 7919) for n in range(1, 10))
    groups = [(ids[0], ids[4], ids[8]), (ids[1], ids[2], ids[3]), (ids[5],), (ids[6], ids[7])]
    for order in permutations(groups):
        comparison = Comparison(policy, policy, date(2024, 1, 1))
        for group in order:
            comparison.add_facts(FACTS, FACTS, len(group), group)
        examples = comparison.impact.as_json()["domains"]["education"]["examples"]
        assert examples == {"1->1": [str(i) for i in ids[:3]]}, order
        assert comparison.impact.holders == 9
