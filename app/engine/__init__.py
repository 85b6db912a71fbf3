"""The engine (SPEC §6, §7): records + policy + date -> score. Pure: no web, no database, no
YAML; the register, the simulation, the ranking and a policy's own test cases all go through
`score`. "As of D" means only time before D counts.

- `records`: one holder's records as the engine reads them;
- `counting`: months, points, permit, current residence, adjustments at one date (`Facts`);
- `requirements`: requirements met, levels, what is missing for the next tier;
- `projection`: the first date each level would rise;
- `answer`: the typed score answer and `score`;
- `cases`: a policy's own test cases.
"""

from app.engine.answer import ScoreAnswer, score
from app.engine.cases import run_policy_case
from app.engine.counting import (
    ActiveAdjustment,
    Facts,
    active_adjustments,
    current_residence,
    facts_at,
    indicator_points,
    insurance_months,
    permit_valid,
    residence_months,
)
from app.engine.projection import (
    PROJECTION_YEARS,
    projected_on,
    projection_horizon,
    projection_records,
)
from app.engine.records import (
    AdjustmentRecord,
    InsurancePeriod,
    Permit,
    Records,
    ResidencePeriod,
    records_from_dicts,
)
from app.engine.requirements import levels, missing, requirements_met

__all__ = [
    "PROJECTION_YEARS",
    "ActiveAdjustment",
    "AdjustmentRecord",
    "Facts",
    "InsurancePeriod",
    "Permit",
    "Records",
    "ResidencePeriod",
    "ScoreAnswer",
    "active_adjustments",
    "current_residence",
    "facts_at",
    "indicator_points",
    "insurance_months",
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
