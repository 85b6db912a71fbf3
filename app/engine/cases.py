"""SPEC §5 `tests`: a policy's own test cases, run through the engine."""

from datetime import date
from typing import Any

from app.core.i18n import tr
from app.domain.policy import (
    Policy,
    PolicyCase,
)
from app.engine.answer import score
from app.engine.records import records_from_dicts


def run_policy_case(policy: Policy, case: PolicyCase) -> list[str]:
    """SPEC §5 `tests`: run one case; the mismatches, one message each (empty: it passes).

    Only the keys the case's `output` gives are checked.
    """
    given = case.input
    records = records_from_dicts(
        given.permit.model_dump(),
        [r.model_dump() for r in given.residence_periods],
        [p.model_dump() for p in given.insurance_periods],
        [a.model_dump() for a in given.adjustments],
    )
    result = score(records, policy, case.as_of)
    expected = case.output
    actual: dict[str, Any] = {
        "total_points": result.total_points,
        "residence_months": result.residence_months,
        "insurance_months": result.insurance_months,
        "permit_valid": result.permit_valid,
    }
    checks: list[tuple[str, Any, Any]] = [
        (key, getattr(expected, key), actual[key])
        for key in actual
        if getattr(expected, key) is not None
    ]
    for domain, level in (expected.levels or {}).items():
        checks.append((f"levels.{domain}", level, result.levels.get(domain)))
    for domain, on in (expected.projected_on or {}).items():
        checks.append((f"projected_on.{domain}", on, result.projected_on.get(domain)))
    return [
        tr(
            f"{case.name}: {field}: expected {_shown(want)}, got {_shown(got)}",
            f"{case.name}：{field}：应为 {_shown(want)}，实际为 {_shown(got)}",
        )
        for field, want, got in checks
        if want != got
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)
