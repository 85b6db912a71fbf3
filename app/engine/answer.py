"""SPEC §7: the score of one holder, as typed models, and `score` that builds it."""

import uuid
from datetime import date
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import left_out_when_none
from app.domain.policy import (
    InsuranceIndicator,
    Name,
    Policy,
    Reference,
    ResidenceIndicator,
    Service,
)
from app.engine.counting import active_adjustments, indicator_points
from app.engine.projection import Timeline, projected_on
from app.engine.records import Records
from app.engine.requirements import levels, missing


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)


class PolicyRef(_Answer):
    id: str
    version: str
    effective_from: date


class IndicatorComponent(_Answer):
    indicator: Literal["residence", "insurance"]
    months: int
    full_years: int
    points: int
    cap: int
    reference: Reference | None = left_out_when_none()


class AdjustmentItem(_Answer):
    code: str
    points: int
    count: int | None = left_out_when_none()  # repeatable codes only
    reference: Reference | None = left_out_when_none()


class AdjustmentsComponent(_Answer):
    indicator: Literal["adjustments"] = "adjustments"
    points: int  # the sum of the items, before the total is floored at 0
    items: list[AdjustmentItem]


class TierAnswer(_Answer):
    code: str
    name: Name
    reference: Reference | None = left_out_when_none()


class NextTierAnswer(_Answer):
    level: int
    code: str
    name: Name
    missing: dict[str, Any] = Field(
        description="What is short today for this tier (docs/rules.md): points, residence_months, "
        "insurance_months, valid_permit, district, housing, area_kinds, adjustments, any_of"
    )
    projected_on: date | None


class EntitlementAnswer(_Answer):
    domain: str
    level: int
    tier: TierAnswer | None = left_out_when_none("Absent at level 0")
    services: list[Service]
    next: NextTierAnswer | None  # None at the top tier


class ScoreAnswer(_Answer):
    """Points, components and entitlements of a holder at `as_of` (docs/rules.md)."""

    holder_id: uuid.UUID | None = Field(description="null in a simulation")
    jurisdiction: str
    as_of: date
    policy: PolicyRef
    permit_valid: bool
    total_points: int
    # residence, insurance, adjustments: in this order
    components: list[IndicatorComponent | AdjustmentsComponent]
    entitlements: list[EntitlementAnswer]

    @property
    def residence(self) -> IndicatorComponent:
        return cast(IndicatorComponent, self.components[0])

    @property
    def insurance(self) -> IndicatorComponent:
        return cast(IndicatorComponent, self.components[1])

    @property
    def adjustments(self) -> AdjustmentsComponent:
        return cast(AdjustmentsComponent, self.components[2])

    @property
    def residence_months(self) -> int:
        return self.residence.months

    @property
    def insurance_months(self) -> int:
        return self.insurance.months

    @property
    def levels(self) -> dict[str, int]:
        return {e.domain: e.level for e in self.entitlements}

    @property
    def projected_on(self) -> dict[str, date | None]:
        return {e.domain: e.next.projected_on if e.next else None for e in self.entitlements}

    def of_holder(self, holder_id: uuid.UUID | str | None) -> "ScoreAnswer":
        """The same answer naming the holder it is about."""
        if isinstance(holder_id, str):
            holder_id = uuid.UUID(holder_id)
        return self.model_copy(update={"holder_id": holder_id})

    def to_json(self, holder_id: uuid.UUID | str | None) -> dict[str, Any]:
        """The score answer of SPEC §7 as JSON values, keys in its order."""
        data: dict[str, Any] = self.of_holder(holder_id).model_dump(mode="json")
        return data


def _indicator_component(
    name: Literal["residence", "insurance"],
    months: int,
    indicator: ResidenceIndicator | InsuranceIndicator,
) -> IndicatorComponent:
    return IndicatorComponent(
        indicator=name,
        months=months,
        full_years=months // 12,
        points=indicator_points(months, indicator),
        cap=indicator.cap,
        reference=indicator.reference,
    )


def score(
    records: Records, policy: Policy, as_of: date, holder_id: uuid.UUID | None = None
) -> ScoreAnswer:
    """SPEC §6: points, levels and projection of one holder at `as_of` (the holder named when
    it is a stored one, None in a simulation).

    The caller picks the policy in force at `as_of` (SPEC §5); the engine does not check it.
    """
    timeline = Timeline(records, policy, as_of)  # the counts built once, for D and after
    facts = timeline.facts(as_of)
    active = active_adjustments(records.adjustments, as_of, policy.adjustments)
    today = levels(policy, facts)
    projections = projected_on(records, policy, as_of, today, timeline)
    entitlements = []
    for domain, tiers in policy.domains.items():
        level = today[domain]
        reached = tiers[:level]
        following = tiers[level] if level < len(tiers) else None
        entitlements.append(
            EntitlementAnswer(
                domain=domain,
                level=level,
                tier=TierAnswer(
                    code=reached[-1].code, name=reached[-1].name, reference=reached[-1].reference
                )
                if reached
                else None,
                services=[service for tier in reached for service in tier.services],
                next=None
                if following is None
                else NextTierAnswer(
                    level=following.level,
                    code=following.code,
                    name=following.name,
                    missing=missing(following.requires, facts),
                    projected_on=projections[domain],
                ),
            )
        )
    indicators = policy.indicators
    return ScoreAnswer(
        holder_id=holder_id,
        jurisdiction=policy.jurisdiction.code,
        as_of=as_of,
        policy=PolicyRef(
            id=policy.id, version=policy.version, effective_from=policy.effective_from
        ),
        permit_valid=facts.permit_valid,
        total_points=facts.total_points,
        components=[
            _indicator_component("residence", facts.residence_months, indicators.residence),
            _indicator_component("insurance", facts.insurance_months, indicators.insurance),
            AdjustmentsComponent(
                points=sum(a.points for a in active),
                items=[
                    AdjustmentItem(
                        code=a.entry.code,
                        points=a.points,
                        count=a.count if a.entry.repeatable else None,
                        reference=a.entry.reference,
                    )
                    for a in active
                ],
            ),
        ],
        entitlements=entitlements,
    )
