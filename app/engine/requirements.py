"""SPEC §6.3: whether facts meet a tier's requirements, the level reached in each domain, and
what is missing for the next tier."""

from collections.abc import Sequence
from typing import Any

from app.domain.policy import (
    Alternative,
    Policy,
    Requirements,
    Tier,
)
from app.engine.counting import Facts

# --- requirements and levels (SPEC §6.3, §6.4) -------------------------------------------------


def _keys_met(requires: Alternative, facts: Facts, permit_required: bool) -> bool:
    """Every key of one requirements mapping but `any_of`; the permit as the caller decides."""
    return (
        (not permit_required or facts.permit_valid)
        and (requires.min_points is None or facts.total_points >= requires.min_points)
        and (
            requires.min_residence_months is None
            or facts.residence_months >= requires.min_residence_months
        )
        and (
            requires.min_insurance_months is None
            or facts.insurance_months >= requires.min_insurance_months
        )
        and (
            requires.current_district_in is None
            or facts.current_district in requires.current_district_in
        )
        and (
            requires.current_district_not_in is None
            or (
                facts.current_district is not None
                and facts.current_district not in requires.current_district_not_in
            )
        )
        and (
            requires.current_housing_in is None
            or facts.current_housing in requires.current_housing_in
        )
        and (
            requires.current_area_kind_in is None
            or facts.current_area_kind in requires.current_area_kind_in
        )
        and (
            requires.adjustments_any is None
            or not facts.active_codes.isdisjoint(requires.adjustments_any)
        )
    )


def requirements_met(requires: Requirements, facts: Facts) -> bool:
    """SPEC §6.3: every key present holds; `any_of` when one alternative holds, an alternative's
    `valid_permit` defaulting to the tier's (and the tier's own checked as well)."""
    if not _keys_met(requires, facts, requires.valid_permit):
        return False
    return requires.any_of is None or any(
        _keys_met(alternative, facts, requires.alternative_valid_permit(alternative))
        for alternative in requires.any_of
    )


def _domain_level(tiers: Sequence[Tier], facts: Facts) -> int:
    level = 0
    for tier in tiers:
        if not requirements_met(tier.requires, facts):
            break
        level = tier.level
    return level


def levels(policy: Policy, facts: Facts) -> dict[str, int]:
    """SPEC §6.3: per domain, the highest L with tiers 1..L all met (0 when tier 1 is not)."""
    return {domain: _domain_level(tiers, facts) for domain, tiers in policy.domains.items()}


def _shortfalls(requires: Alternative, facts: Facts, permit_required: bool) -> dict[str, Any]:
    """SPEC §6.4: the unmet keys of one requirements mapping (without `any_of`)."""
    short: dict[str, Any] = {}
    if requires.min_points is not None and facts.total_points < requires.min_points:
        short["points"] = requires.min_points - facts.total_points
    wanted = requires.min_residence_months
    if wanted is not None and facts.residence_months < wanted:
        short["residence_months"] = wanted - facts.residence_months
    wanted = requires.min_insurance_months
    if wanted is not None and facts.insurance_months < wanted:
        short["insurance_months"] = wanted - facts.insurance_months
    if permit_required and not facts.permit_valid:
        short["valid_permit"] = True
    district: dict[str, list[str]] = {}
    inside = requires.current_district_in
    if inside is not None and facts.current_district not in inside:
        district["in"] = list(inside)
    outside = requires.current_district_not_in
    if outside is not None and (
        facts.current_district is None or facts.current_district in outside
    ):
        district["not_in"] = list(outside)
    if district:
        short["district"] = district
    housing = requires.current_housing_in
    if housing is not None and facts.current_housing not in housing:
        short["housing"] = list(housing)
    kinds = requires.current_area_kind_in
    if kinds is not None and facts.current_area_kind not in kinds:
        short["area_kinds"] = list(kinds)
    codes = requires.adjustments_any
    if codes is not None and facts.active_codes.isdisjoint(codes):
        short["adjustments"] = list(codes)
    return short


def missing(requires: Requirements, facts: Facts) -> dict[str, Any]:
    """SPEC §6.4: what a tier lacks today, one key per unmet requirement.

    `any_of` is reported, one mapping per alternative, only when no alternative is met. A
    `valid_permit` the tier requires is reported once, at the tier's level, and left out when
    the alternatives are judged. Ambiguity resolved (§6.4 speaks of the inherited one only): an
    alternative's own `valid_permit: true` under a tier that also requires the permit is left
    out too, since the tier's key reports the same thing; it is judged only under a tier with
    `valid_permit: false`.
    """
    short = _shortfalls(requires, facts, requires.valid_permit)
    if requires.any_of is not None:
        alternatives = [
            _shortfalls(
                alternative,
                facts,
                requires.alternative_valid_permit(alternative) and not requires.valid_permit,
            )
            for alternative in requires.any_of
        ]
        if all(alternatives):
            short["any_of"] = alternatives
    return short
