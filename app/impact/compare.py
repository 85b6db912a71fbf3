"""The impact of a draft policy (issue 17, first slice): every holder scored under the policy in
force and under the draft at one date, and what changes, counted.

Pure: holders' records in, counts out. The holders' levels come from the engine (SPEC §6), so a
holder's before and after are exactly what their score would answer under each policy.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from app.domain.policy import Policy
from app.engine import Facts, Records, facts_at, levels, missing

NO_DISTRICT = "none"  # no residence in the jurisdiction at the date
EXAMPLES = 3  # holder ids kept for each non-empty transition cell: its first in id order
POINTS_BIN = 10  # width of the total points histogram's bins


@dataclass
class DomainImpact:
    """One domain: holders by (level under the policy in force, level under the draft)."""

    transitions: Counter[tuple[int, int]] = field(default_factory=Counter)
    examples: dict[tuple[int, int], list[UUID]] = field(default_factory=lambda: defaultdict(list))
    # (gainers, losers) by the holder's current district, and by their township's kind.
    by_district: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_area_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # For the next tier: holders short of each requirement key, and by how much (numbers).
    shortfalls: dict[str, dict[str, Counter[int]]] = field(
        default_factory=lambda: {"before": defaultdict(Counter), "after": defaultdict(Counter)}
    )


@dataclass
class Impact:
    as_of: date
    current: str  # the policy in force's id
    holders: int = 0
    points: dict[str, Counter[int]] = field(
        default_factory=lambda: {"before": Counter(), "after": Counter()}
    )
    domains: dict[str, DomainImpact] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The result as JSON values: cells as `"i->j"`, bins by their lower bound."""

        def pairs(d: dict[str, list[int]]) -> dict[str, dict[str, int]]:
            return {k: {"gainers": g, "losers": lo} for k, (g, lo) in sorted(d.items())}

        def histogram(counts: Counter[int]) -> dict[str, int]:
            return {str(k): counts[k] for k in sorted(counts)}

        return {
            "as_of": self.as_of.isoformat(),
            "policy": self.current,
            "holders": self.holders,
            "total_points": {side: histogram(c) for side, c in self.points.items()},
            "domains": {
                name: {
                    "transitions": {
                        f"{i}->{j}": n for (i, j), n in sorted(domain.transitions.items())
                    },
                    "examples": {
                        f"{i}->{j}": [str(h) for h in ids]
                        for (i, j), ids in sorted(domain.examples.items())
                    },
                    "by_district": pairs(domain.by_district),
                    "by_area_kind": pairs(domain.by_area_kind),
                    "shortfalls": {
                        side: {key: histogram(c) for key, c in sorted(keys.items())}
                        for side, keys in domain.shortfalls.items()
                    },
                }
                for name, domain in self.domains.items()
            },
        }


def _shortfalls(policy: Policy, domain: str, level: int, facts: Facts) -> Iterable[tuple[str, int]]:
    """Each requirement key the next tier misses, with its shortfall (1 for a key that is not
    a number: a district, a housing kind, a permit)."""
    tiers = policy.domains.get(domain, [])
    if level >= len(tiers):
        return
    for key, value in missing(tiers[level].requires, facts).items():
        yield key, value if isinstance(value, int) and not isinstance(value, bool) else 1


class Comparison:
    """The running counts of one comparison: fed holder by holder (`add`) or, where the facts
    were counted elsewhere (in the database), by groups of holders with the same facts
    (`add_facts`). Both give the same `Impact` for the same population."""

    def __init__(self, current: Policy, draft: Policy, as_of: date) -> None:
        self.current, self.draft, self.as_of = current, draft, as_of
        self.impact = Impact(as_of=as_of, current=current.id)
        names = list(current.domains) + [d for d in draft.domains if d not in current.domains]
        self.impact.domains = {name: DomainImpact() for name in names}

    def add(self, holder_id: UUID, records: Records) -> None:
        """One holder, from their records."""
        before = facts_at(records, self.current, self.as_of)
        after = facts_at(records, self.draft, self.as_of)
        self.add_facts(before, after, 1, (holder_id,))

    def add_facts(
        self, before_facts: Facts, after_facts: Facts, holders: int, examples: Sequence[UUID]
    ) -> None:
        """`holders` holders whose facts are these under each policy (`examples`: their first
        ids in holder-id order, `EXAMPLES` of them or all when fewer).

        `facts_sql` hands over facts reduced to what this method tells apart (months held at
        the largest threshold, points at their bin beyond it, housing and codes only where a
        requirement names them): reading more of `Facts` here means reducing less there."""
        impact = self.impact
        impact.holders += holders
        before, after = levels(self.current, before_facts), levels(self.draft, after_facts)
        impact.points["before"][before_facts.total_points // POINTS_BIN * POINTS_BIN] += holders
        impact.points["after"][after_facts.total_points // POINTS_BIN * POINTS_BIN] += holders
        district = before_facts.current_district or NO_DISTRICT
        for name, domain in impact.domains.items():
            cell = (before.get(name, 0), after.get(name, 0))
            domain.transitions[cell] += holders
            kept = domain.examples[cell]
            if len(kept) < EXAMPLES or (examples and examples[0] < kept[-1]):
                # The first ids in holder-id order, whatever order the groups come in: a
                # cell's first ids are among the first ids of its groups.
                kept[:] = sorted({*kept, *examples})[:EXAMPLES]
            if cell[0] != cell[1]:
                side = 0 if cell[1] > cell[0] else 1
                domain.by_district[district][side] += holders
                if before_facts.current_area_kind is not None:
                    domain.by_area_kind[before_facts.current_area_kind][side] += holders
            for key, short in _shortfalls(self.current, name, cell[0], before_facts):
                domain.shortfalls["before"][key][short] += holders
            for key, short in _shortfalls(self.draft, name, cell[1], after_facts):
                domain.shortfalls["after"][key][short] += holders


def compare(
    holders: Iterable[tuple[UUID, Records]], current: Policy, draft: Policy, as_of: date
) -> Impact:
    """Every holder under `current` and under `draft` at `as_of`."""
    comparison = Comparison(current, draft, as_of)
    for holder_id, records in holders:
        comparison.add(holder_id, records)
    return comparison.impact
