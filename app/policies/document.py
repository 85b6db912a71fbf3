"""Reading a policy document (SPEC §5): YAML, validation, and the checks that span fields.

`parse_policy` turns the first problem it finds into a `PolicyError` naming the file, the field
(a dotted path such as `domains.education[1].requires.min_points`) and the reason.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from pydantic import ValidationError

from app.domain.codes import township_problem
from app.domain.policy import (
    CORE_DOMAINS,
    Alternative,
    Indicators,
    Jurisdiction,
    Policy,
    PolicyCase,
    Tier,
)


class PolicyError(Exception):
    """An invalid policy document: the file (or other source), the field and the reason.

    `problems` lists every (field, reason) found; `field` and `reason` are the first of them.
    """

    def __init__(
        self,
        source: str,
        field: str,
        reason: str,
        problems: list[tuple[str, str]] | None = None,
    ) -> None:
        self.source = source
        self.field = field
        self.reason = reason
        self.problems = problems or [(field, reason)]
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.source}: {where}{self.reason}"


# --- loading -----------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)
PolicyYamlLoader = _UniqueKeyLoader  # public name, for YAML bodies posted to the API


def load_policy_yaml(text: str, source: str) -> Policy:
    """Parse and validate one YAML policy file; `source` names it in errors."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise PolicyError(source, "", f"not valid YAML: {exc}") from exc
    return parse_policy(data, source)


def parse_policy(data: Any, source: str) -> Policy:
    """Validate a policy document (YAML-loaded or JSON-posted data): SPEC §5.

    Raises `PolicyError(source, field, reason)` for the first problem.
    """
    if not isinstance(data, dict):
        raise PolicyError(source, "", "a policy document is a mapping")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = [(_dotted(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        raise PolicyError(source, *problems[0], problems=problems) from None
    problems = list(_document_problems(policy))
    if problems:
        raise PolicyError(source, *problems[0], problems=problems)
    return policy


def _dotted(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for an invalid mapping key: the key names it
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


Problems = Iterator[tuple[str, str]]


def _document_problems(policy: Policy) -> Problems:
    """The checks of SPEC §5 that span more than one field."""
    if policy.effective_to is not None and policy.effective_to <= policy.effective_from:
        yield "effective_to", "effective_to must be after effective_from"
    yield from _jurisdiction_problems(policy.jurisdiction)
    yield from _indicator_problems(policy.indicators)
    yield from _duplicates("adjustments", [a.code for a in policy.adjustments])
    missing = [d for d in CORE_DOMAINS if d not in policy.domains]
    if missing:
        yield (
            "domains",
            f"every policy has the domains {', '.join(CORE_DOMAINS)}; missing: "
            + (", ".join(missing)),
        )
    for name, tiers in policy.domains.items():
        yield from _tier_problems(policy, f"domains.{name}", tiers)
    for i, case in enumerate(policy.tests):
        yield from _case_problems(policy, f"tests[{i}]", case)


def _duplicates(path: str, codes: list[str], key: str = "code") -> Problems:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code in seen:
            yield f"{path}[{i}].{key}", f"duplicate code {code!r}"
        seen.add(code)


def _jurisdiction_problems(jurisdiction: Jurisdiction) -> Problems:
    prefix = jurisdiction.prefix
    for i, district in enumerate(jurisdiction.districts):
        if not district.code.startswith(prefix):
            yield (
                f"jurisdiction.districts[{i}].code",
                f"district {district.code} is not inside jurisdiction {jurisdiction.code}"
                f" (its codes start with {prefix})",
            )
    yield from _duplicates("jurisdiction.districts", [d.code for d in jurisdiction.districts])


def _indicator_problems(indicators: Indicators) -> Problems:
    if indicators.residence.counting == "continuous" and indicators.residence.max_gap_days is None:
        yield "indicators.residence.max_gap_days", "continuous counting needs max_gap_days"
    insurance = indicators.insurance
    if insurance.counting == "continuous" and insurance.max_gap_months is None:
        yield "indicators.insurance.max_gap_months", "continuous counting needs max_gap_months"


def _tier_problems(policy: Policy, path: str, tiers: list[Tier]) -> Problems:
    for i, tier in enumerate(tiers):
        if tier.level != i + 1:
            yield f"{path}[{i}].level", f"tiers are levels 1, 2, … in order: expected {i + 1}"
        yield from _duplicates(f"{path}[{i}].services", [s.code for s in tier.services])
        requires = tier.requires
        yield from _requirement_problems(policy, f"{path}[{i}].requires", requires)
        for j, alternative in enumerate(requires.any_of or []):
            yield from _requirement_problems(
                policy, f"{path}[{i}].requires.any_of[{j}]", alternative
            )
    yield from _duplicates(path, [t.code for t in tiers])


def _requirement_problems(policy: Policy, path: str, requires: Alternative) -> Problems:
    catalogue = {a.code for a in policy.adjustments}
    for j, code in enumerate(requires.adjustments_any or []):
        if code not in catalogue:
            yield f"{path}.adjustments_any[{j}]", f"{code!r} is not in the adjustments catalogue"
    # Not in §5's words, but a district no record can be current in is a typo that would
    # silently never (or always) match: the lists name the document's own districts.
    districts = set(policy.district_codes)
    for key in ("current_district_in", "current_district_not_in"):
        for j, code in enumerate(getattr(requires, key) or []):
            if code not in districts:
                yield f"{path}.{key}[{j}]", f"{code} is not a district of this jurisdiction"


def _case_problems(policy: Policy, path: str, case: PolicyCase) -> Problems:
    if not policy.in_force_on(case.as_of):
        yield f"{path}.as_of", "as_of must fall inside the version's own dates"
    permit = case.input.permit
    if permit.valid_until < permit.issued_on:
        yield f"{path}.input.permit.valid_until", "valid_until is before issued_on"
    prefix, districts = policy.jurisdiction.prefix, set(policy.district_codes)

    def district_problems(where: str, code: str) -> Problems:
        # SPEC §5: a district of another jurisdiction is allowed; one inside it must be
        # among the document's own districts.
        if code.startswith(prefix) and code not in districts:
            yield f"{where}.district", f"{code} is not a district of this jurisdiction"

    for i, r in enumerate(case.input.residence_periods):
        where = f"{path}.input.residence_periods[{i}]"
        yield from district_problems(where, r.district)
        if r.end_date is not None and r.end_date <= r.start_date:
            yield f"{where}.end_date", "end_date must be after start_date"
        if r.township is not None and (problem := township_problem(r.township, r.district)):
            yield f"{where}.township", problem
    for i, p in enumerate(case.input.insurance_periods):
        where = f"{path}.input.insurance_periods[{i}]"
        yield from district_problems(where, p.district)
        if p.end_month is not None and p.end_month < p.start_month:
            yield f"{where}.end_month", "end_month is before start_month"
    catalogue = {a.code for a in policy.adjustments}
    for i, a in enumerate(case.input.adjustments):
        where = f"{path}.input.adjustments[{i}]"
        if a.code not in catalogue:
            yield f"{where}.code", f"{a.code!r} is not in the adjustments catalogue"
        if a.effective_to is not None and a.effective_to <= a.effective_from:
            yield f"{where}.effective_to", "effective_to must be after effective_from"
    for key in ("levels", "projected_on"):
        for domain in getattr(case.output, key) or {}:
            if domain not in policy.domains:
                yield f"{path}.output.{key}.{domain}", f"{domain!r} is not a domain of the policy"
