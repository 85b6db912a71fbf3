"""Bodies and answers of the scoring routes (SPEC §7). The score answer itself is the engine's
`ScoreAnswer` (app/engine/answer.py)."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.domain.records import PermitStatus
from app.engine.answer import ScoreAnswer
from app.register.schemas import (
    AdjustmentCreate,
    DivisionCodeText,
    Input,
    InsurancePeriodCreate,
    ResidencePeriodCreate,
)

MAX_SIMULATED = 500  # records in each list of a simulation (SPEC §7)


class SimulatedPermit(Input):
    issued_on: date
    valid_until: date
    status: PermitStatus


class SimulationRequest(Input):
    jurisdiction: DivisionCodeText
    as_of: date | None = None
    permit: SimulatedPermit
    residence_periods: list[ResidencePeriodCreate] = Field(
        default_factory=list, max_length=MAX_SIMULATED
    )
    insurance_periods: list[InsurancePeriodCreate] = Field(
        default_factory=list, max_length=MAX_SIMULATED
    )
    adjustments: list[AdjustmentCreate] = Field(default_factory=list, max_length=MAX_SIMULATED)


class AssessmentCreate(Input):
    as_of: date | None = None


class AssessmentAnswer(BaseModel):
    id: uuid.UUID
    holder_id: uuid.UUID
    policy_id: str
    as_of: date
    created_at: datetime
    client: str
    inputs_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    score: ScoreAnswer
