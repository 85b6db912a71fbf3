"""What an impact run answers (issue 17): the run, its progress, and once done its result."""

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.fields import left_out_when_none
from app.impact.models import ImpactRun
from app.register.schemas import Input


class GainersLosers(BaseModel):
    gainers: int = Field(description="Holders whose level goes up under the draft")
    losers: int = Field(description="Holders whose level goes down under the draft")


class BeforeAfter(BaseModel):
    """`before`: under the policy in force; `after`: under the draft."""

    before: dict[str, int] = Field(description="Holders by bin or shortfall")
    after: dict[str, int]


class Shortfalls(BaseModel):
    before: dict[str, dict[str, int]] = Field(
        description="By requirement key of the next tier: holders by how much they miss it "
        "(1 for a key that is not a number)"
    )
    after: dict[str, dict[str, int]]


class DomainImpactAnswer(BaseModel):
    transitions: dict[str, int] = Field(
        description='Holders by "level before->level after", e.g. "2->1"'
    )
    examples: dict[str, list[str]] = Field(
        description="Up to three holder ids for each transition, in holder-id order"
    )
    by_district: dict[str, GainersLosers] = Field(
        description='By the holder\'s current district ("none": no residence here at the date)'
    )
    by_area_kind: dict[str, GainersLosers] = Field(
        description="By the kind of the current residence's township, where one is recorded"
    )
    shortfalls: Shortfalls


class ImpactResult(BaseModel):
    as_of: date
    policy: str = Field(description="The policy in force at as_of")
    holders: int = Field(description="Holders of the jurisdiction with a valid permit at as_of")
    total_points: BeforeAfter = Field(description="Holders by total points, in bins of 10")
    domains: dict[str, DomainImpactAnswer]


class DraftRef(BaseModel):
    id: str
    digest: str = Field(description="SHA-256 of the draft as served, in canonical JSON")


class ImpactProgress(BaseModel):
    done: int = Field(description="Holders compared so far")
    total: int = Field(description="Holders to compare (0 until counted)")


class ImpactRunAnswer(BaseModel):
    id: str
    jurisdiction: str
    as_of: date
    policy_id: str = Field(description="The policy in force at as_of, compared with the draft")
    draft: DraftRef
    state: str = Field(description="queued, running, done, failed or cancelled")
    progress: ImpactProgress
    created_at: datetime
    started_at: datetime | None = left_out_when_none()
    finished_at: datetime | None = left_out_when_none()
    error: str | None = left_out_when_none("Why a run failed")
    result: ImpactResult | None = left_out_when_none("Once done; never changes afterwards")

    @classmethod
    def of(cls, run: ImpactRun, *, with_result: bool = True) -> "ImpactRunAnswer":
        result: Any = json.loads(run.result) if with_result and run.result else None
        return cls(
            id=str(run.id),
            jurisdiction=run.jurisdiction,
            as_of=run.as_of,
            policy_id=run.policy_id,
            draft=DraftRef(id=run.draft_id, digest=run.draft_digest),
            state=run.state,
            progress=ImpactProgress(done=run.done, total=run.total),
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            error=run.error,
            result=result,
        )


class ImpactCancel(Input):
    """Cancelling takes nothing: an empty object, or no body at all."""
