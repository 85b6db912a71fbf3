"""Bodies and answers of the scoring routes (SPEC §7). The score answer itself is built by the
engine (`Score.to_json`); the models here describe it in the OpenAPI document."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.domain.policy import Name, Reference, Service
from app.domain.records import PermitStatus
from app.engine.answer import AdjustmentsComponent, IndicatorComponent, PolicyRef
from app.register.schemas import (
    AdjustmentCreate,
    DivisionCode,
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
    jurisdiction: DivisionCode
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


class TierAnswer(BaseModel):
    code: str
    name: Name
    reference: Reference | None = None


class NextTierAnswer(BaseModel):
    level: int
    code: str
    name: Name
    missing: dict[str, Any] = Field(
        description="What is short today for this tier (docs/rules.md): points, residence_months, "
        "insurance_months, valid_permit, district, housing, area_kinds, adjustments, any_of"
    )
    projected_on: date | None


class EntitlementAnswer(BaseModel):
    domain: str
    level: int
    tier: TierAnswer | None = Field(None, description="Absent at level 0")
    services: list[Service]
    next: NextTierAnswer | None


class ScoreAnswer(BaseModel):
    """Points, components and entitlements of a holder at `as_of` (docs/rules.md)."""

    holder_id: uuid.UUID | None = Field(description="null in a simulation")
    jurisdiction: str
    as_of: date
    policy: PolicyRef
    permit_valid: bool
    total_points: int
    components: list[IndicatorComponent | AdjustmentsComponent]
    entitlements: list[EntitlementAnswer]


class AssessmentAnswer(BaseModel):
    id: uuid.UUID
    holder_id: uuid.UUID
    policy_id: str
    as_of: date
    created_at: datetime
    client: str
    inputs_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    score: ScoreAnswer
