"""SPEC §7: the score of one holder, as typed models, and `score` that builds it."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.domain.policy import (
    InsuranceIndicator,
    Name,
    Policy,
    Reference,
    ResidenceIndicator,
    Service,
)
from app.engine.counting import active_adjustments, facts_at, indicator_points
from app.engine.projection import projected_on
from app.engine.records import Records
from app.engine.requirements import levels, missing

# --- the score response (SPEC §7) --------------------------------------------------------------


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
    reference: Reference | None = None


class AdjustmentItem(_Answer):
    code: str
    points: int
    count: int | None = None  # repeatable codes only
    reference: Reference | None = None


class AdjustmentsComponent(_Answer):
    indicator: Literal["adjustments"] = "adjustments"
    points: int  # the sum of the items, before the total is floored at 0
    items: list[AdjustmentItem]


class TierRef(_Answer):
    code: str
    name: Name
    reference: Reference | None = None


class NextTier(_Answer):
    level: int
    code: str
    name: Name
    missing: dict[str, Any]
    projected_on: date | None


class Entitlement(_Answer):
    domain: str
    level: int
    tier: TierRef | None  # None at level 0
    services: list[Service]
    next: NextTier | None  # None at the top tier


class Score(_Answer):
    """SPEC §7: the score of one holder at `as_of` under one policy."""

    jurisdiction: str
    as_of: date
    policy: PolicyRef
    permit_valid: bool
    total_points: int
    residence: IndicatorComponent
    insurance: IndicatorComponent
    adjustments: AdjustmentsComponent
    entitlements: list[Entitlement]

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

    def to_json(self, holder_id: str | None) -> dict[str, Any]:
        """The score response of SPEC §7, keys in its order; optional keys left out when they
        have no value, but `holder_id`, `next` and `projected_on` kept as null."""
        return {
            "holder_id": holder_id,
            "jurisdiction": self.jurisdiction,
            "as_of": self.as_of.isoformat(),
            "policy": self.policy.model_dump(mode="json"),
            "permit_valid": self.permit_valid,
            "total_points": self.total_points,
            "components": [
                self.residence.model_dump(mode="json", exclude_none=True),
                self.insurance.model_dump(mode="json", exclude_none=True),
                self.adjustments.model_dump(mode="json", exclude_none=True),
            ],
            "entitlements": [_entitlement_json(e) for e in self.entitlements],
        }


def _entitlement_json(entitlement: Entitlement) -> dict[str, Any]:
    data: dict[str, Any] = {"domain": entitlement.domain, "level": entitlement.level}
    if entitlement.tier is not None:
        data["tier"] = entitlement.tier.model_dump(mode="json", exclude_none=True)
    data["services"] = [s.model_dump(mode="json", exclude_none=True) for s in entitlement.services]
    following = entitlement.next
    data["next"] = (
        None
        if following is None
        else {
            "level": following.level,
            "code": following.code,
            "name": following.name.model_dump(mode="json"),
            "missing": following.missing,
            "projected_on": following.projected_on.isoformat() if following.projected_on else None,
        }
    )
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


def score(records: Records, policy: Policy, as_of: date) -> Score:
    """SPEC §6: points, levels and projection of one holder at `as_of`.

    The caller picks the policy in force at `as_of` (SPEC §5); the engine does not check it.
    """
    facts = facts_at(records, policy, as_of)
    active = active_adjustments(records.adjustments, as_of, policy.adjustments)
    today = levels(policy, facts)
    projections = projected_on(records, policy, as_of, today)
    entitlements = []
    for domain, tiers in policy.domains.items():
        level = today[domain]
        reached = tiers[:level]
        following = tiers[level] if level < len(tiers) else None
        entitlements.append(
            Entitlement(
                domain=domain,
                level=level,
                tier=TierRef(
                    code=reached[-1].code, name=reached[-1].name, reference=reached[-1].reference
                )
                if reached
                else None,
                services=[service for tier in reached for service in tier.services],
                next=None
                if following is None
                else NextTier(
                    level=following.level,
                    code=following.code,
                    name=following.name,
                    missing=missing(following.requires, facts),
                    projected_on=projections[domain],
                ),
            )
        )
    indicators = policy.indicators
    return Score(
        jurisdiction=policy.jurisdiction.code,
        as_of=as_of,
        policy=PolicyRef(
            id=policy.id, version=policy.version, effective_from=policy.effective_from
        ),
        permit_valid=facts.permit_valid,
        total_points=facts.total_points,
        residence=_indicator_component("residence", facts.residence_months, indicators.residence),
        insurance=_indicator_component("insurance", facts.insurance_months, indicators.insurance),
        adjustments=AdjustmentsComponent(
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
        entitlements=entitlements,
    )
