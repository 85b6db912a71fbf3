"""SPEC §5: the typed policy document, the engine's input.

Every mapping refuses unknown keys. Reading a document (YAML, the checks that span several
fields, errors naming the field) is `app.policies.document`'s work.
"""

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.domain.calendar import Month
from app.domain.codes import is_division_code, jurisdiction_prefix
from app.domain.records import AreaKind, Housing, InsuranceType, PermitStatus

# SPEC §5: every policy has these four domains, served first and in this order.
CORE_DOMAINS = ("education", "healthcare", "housing", "settlement")

Counting = Literal["cumulative", "continuous"]
# SPEC §5: `stated` when the clause itself states this rule with this number or condition;
# `chosen` when the clause states the rule in general and the number is the city's choice.
Basis = Literal["stated", "chosen"]


def ordered_domains(names: Iterable[str]) -> list[str]:
    """SPEC §5: education, healthcare, housing, settlement, then any others by name."""
    names = set(names)
    return [d for d in CORE_DOMAINS if d in names] + sorted(names - set(CORE_DOMAINS))


# --- field types -------------------------------------------------------------------------------


def _division_code(value: Any) -> str:
    if not isinstance(value, str):
        # YAML reads 441702 unquoted as a number: refuse it rather than guess (leading zeros).
        raise PydanticCustomError(
            "division_code_type", "A division code is a string of 6 digits (quote it in YAML)"
        )
    if not is_division_code(value):
        raise PydanticCustomError(
            "division_code",
            "A division code is 6 digits starting with a province-level code (GB/T 2260)",
        )
    return value


def _iso_date(value: Any) -> date:
    # YAML gives date objects, JSON gives strings: take both, nothing else (no timestamps).
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date", "Input should be a valid date (YYYY-MM-DD)")


def _version(value: Any) -> str:
    # An unquoted YAML `version: 2016-04-11` is read as a date: it means its ISO text.
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        # The version is part of the policy id `{code}@{version}`, used in URLs.
        raise PydanticCustomError(
            "version",
            "A version is a string of at most 64 letters, digits, '.', '_' or '-'",
        )
    return value


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "Input should not be null")
    return value


DivisionCode = Annotated[str, BeforeValidator(_division_code)]
IsoDate = Annotated[date, BeforeValidator(_iso_date), Strict()]
Version = Annotated[str, BeforeValidator(_version)]
Text = Annotated[StrictStr, Field(min_length=1)]
Code = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
DomainName = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
PositiveInt = Annotated[StrictInt, Field(ge=1)]

# Bounds on the numbers a policy carries (a 422 naming the field beyond them). Unbounded,
# `points: 3000000000` was published and the ranking then failed on PostgreSQL (integer out of
# range) while SQLite ranked it. Each bound is far beyond what a city could mean, and keeps the
# ranking's arithmetic inside its types:
# - points (an adjustment's, either sign; a year's; a cap; a `min_points`): 10,000. Real
#   schemes count in tens or hundreds. A year's points times the years a date can span (under
#   10,000) stay below 2^31, and so do two caps plus every entry of a catalogue that fits in a
#   request; the SQL sums in BIGINT anyway. Only a repeatable entry active in some 200,000
#   records could pass the INTEGER column that stores totals: see `engine.TOTAL_POINTS_MAX`.
# - months (`min_residence_months`, `min_insurance_months`): 1,200, a hundred years.
# - gaps a continuous run may span: 3,660 days and 120 months, ten years either way; a run
#   with longer gaps is not continuous in any sense a city could mean.
# - `endorsement_months`: 1 to 120; an endorsement of 0 months would renew nothing, and permits
#   are renewed every year or two, not once a decade.
POINTS_MAX = 10_000
MONTHS_MAX = 1_200
GAP_DAYS_MAX = 3_660
GAP_MONTHS_MAX = 120
ENDORSEMENT_MONTHS_MAX = 120
Points = Annotated[StrictInt, Field(ge=0, le=POINTS_MAX)]
SignedPoints = Annotated[StrictInt, Field(ge=-POINTS_MAX, le=POINTS_MAX)]
Months = Annotated[StrictInt, Field(ge=0, le=MONTHS_MAX)]
GapDays = Annotated[StrictInt, Field(ge=0, le=GAP_DAYS_MAX)]
GapMonths = Annotated[StrictInt, Field(ge=0, le=GAP_MONTHS_MAX)]
EndorsementMonths = Annotated[StrictInt, Field(ge=1, le=ENDORSEMENT_MONTHS_MAX)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the document ------------------------------------------------------------------------------


class Name(_Model):
    zh: Text
    en: Text


class Reference(_Model):
    """The legal basis of a number, echoed in score answers: the document, the clause, and
    whether the clause states the number (`stated`) or the city chose it (`chosen`)."""

    document: Text
    clause: Text
    basis: Basis


class Source(_Model):
    # SPEC §5 names `sources` without fixing their keys; the example has `title` and `seed`.
    title: Text
    seed: Text | None = None
    url: Text | None = None
    note: Text | None = None


class District(_Model):
    code: DivisionCode
    name: Name


class Jurisdiction(_Model):
    code: DivisionCode
    name: Name
    districts: list[District] = Field(min_length=1)

    @property
    def prefix(self) -> str:
        return jurisdiction_prefix(self.code)


class PermitRules(_Model):
    # Shown to users only (SPEC §5): no rule of §6 uses it.
    min_residence_months: Months
    endorsement_months: EndorsementMonths


class ResidenceIndicator(_Model):
    points_per_year: Points
    cap: Points
    counting: Counting = "cumulative"
    max_gap_days: GapDays | None = None
    reference: Reference | None = None


class InsuranceIndicator(_Model):
    types: list[InsuranceType] = []  # [] counts every type (SPEC §5)
    points_per_year: Points
    cap: Points
    counting: Counting = "cumulative"
    max_gap_months: GapMonths | None = None
    reference: Reference | None = None


class Indicators(_Model):
    residence: ResidenceIndicator
    insurance: InsuranceIndicator


class AdjustmentRule(_Model):
    """An entry of the adjustments catalogue (SPEC §5): a code and its points."""

    code: Code
    points: SignedPoints
    name: Name
    repeatable: StrictBool = False
    reference: Reference | None = None


class Service(_Model):
    code: Code
    name: Name


# A key that may be left out but not written as null: `requires` is served as written
# (SPEC §5), and a null would be served although it requires nothing.
Present = AfterValidator(_not_null)


class Alternative(_Model):
    """SPEC §6.3: one requirements mapping; every key optional. `valid_permit` defaults to true.

    Inside `any_of`, a left-out `valid_permit` is the enclosing tier's: see `Requirements`.
    """

    valid_permit: StrictBool = True
    min_points: Annotated[Points | None, Present] = None
    min_residence_months: Annotated[Months | None, Present] = None
    min_insurance_months: Annotated[Months | None, Present] = None
    current_district_in: Annotated[list[DivisionCode] | None, Present] = None
    current_district_not_in: Annotated[list[DivisionCode] | None, Present] = None
    current_housing_in: Annotated[list[Housing] | None, Present] = None
    current_area_kind_in: Annotated[list[AreaKind] | None, Present] = None
    adjustments_any: Annotated[list[Code] | None, Present] = None

    @property
    def states_valid_permit(self) -> bool:
        """Whether the mapping writes `valid_permit` itself (it is served as written)."""
        return "valid_permit" in self.model_fields_set


class Requirements(Alternative):
    """SPEC §6.3: a tier's requirements; `any_of` holds alternatives without `any_of`."""

    # "any_of: [requirements, ...]": at least one alternative; an empty list could never be met.
    any_of: Annotated[Annotated[list[Alternative], Field(min_length=1)] | None, Present] = None

    def alternative_valid_permit(self, alternative: Alternative) -> bool:
        """SPEC §6.3: an alternative's `valid_permit` defaults to the enclosing tier's."""
        if alternative.states_valid_permit:
            return alternative.valid_permit
        return self.valid_permit


class Tier(_Model):
    level: PositiveInt
    code: Code
    name: Name
    services: list[Service]
    requires: Requirements
    reference: Reference | None = None

    def served(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True, exclude={"requires"})
        # SPEC §5: `requires` is served as written, defaults not filled in.
        data["requires"] = self.requires.model_dump(mode="json", exclude_unset=True)
        return data


# --- test cases (SPEC §5 `tests`): a simulation body (§7) without jurisdiction and as_of --------

_MAX_RECORDS = 500  # SPEC §7: a simulation holds at most 500 records in each list


class CasePermit(_Model):
    issued_on: IsoDate
    valid_until: IsoDate
    status: PermitStatus


class CaseResidencePeriod(_Model):
    district: DivisionCode
    start_date: IsoDate
    end_date: IsoDate | None = None
    housing: Housing = Housing.other
    township: StrictStr | None = None  # 9 digits beginning with `district` (SPEC §4)
    source: Annotated[StrictStr, Field(max_length=64)] | None = None


class CaseInsurancePeriod(_Model):
    district: DivisionCode
    type: InsuranceType
    start_month: Month
    end_month: Month | None = None
    source: Annotated[StrictStr, Field(max_length=64)] | None = None


class CaseAdjustment(_Model):
    code: Code
    effective_from: IsoDate
    effective_to: IsoDate | None = None
    note: Annotated[StrictStr, Field(max_length=500)] | None = None


class CaseInput(_Model):
    permit: CasePermit
    residence_periods: list[CaseResidencePeriod] = Field(default=[], max_length=_MAX_RECORDS)
    insurance_periods: list[CaseInsurancePeriod] = Field(default=[], max_length=_MAX_RECORDS)
    adjustments: list[CaseAdjustment] = Field(default=[], max_length=_MAX_RECORDS)


class CaseOutput(_Model):
    """SPEC §5: every key given must match; keys left out are not checked."""

    total_points: Annotated[StrictInt | None, Present] = None
    residence_months: Annotated[NonNegativeInt | None, Present] = None
    insurance_months: Annotated[NonNegativeInt | None, Present] = None
    permit_valid: Annotated[StrictBool | None, Present] = None
    levels: Annotated[dict[StrictStr, NonNegativeInt] | None, Present] = None
    projected_on: Annotated[dict[StrictStr, IsoDate | None] | None, Present] = None


class PolicyCase(_Model):
    name: Text
    as_of: IsoDate
    input: CaseInput
    output: CaseOutput


class Policy(_Model):
    """SPEC §5: one dated version of a city's rules."""

    jurisdiction: Jurisdiction
    version: Version
    effective_from: IsoDate
    effective_to: IsoDate | None = None  # exclusive; null: until replaced
    sources: list[Source] = []
    notes: dict[StrictStr, StrictStr] = {}
    permit: PermitRules
    indicators: Indicators
    adjustments: list[AdjustmentRule] = []
    domains: dict[DomainName, list[Tier]]
    # SPEC §5: "A version with no case ... is not published".
    tests: list[PolicyCase] = Field(min_length=1)

    @field_validator("domains")
    @classmethod
    def _served_order(cls, domains: dict[str, list[Tier]]) -> dict[str, list[Tier]]:
        return {name: domains[name] for name in ordered_domains(domains)}

    @property
    def id(self) -> str:
        """SPEC §5: `{jurisdiction code}@{version}`, e.g. `441700@2016-04-11`."""
        return f"{self.jurisdiction.code}@{self.version}"

    @property
    def district_codes(self) -> list[str]:
        return [d.code for d in self.jurisdiction.districts]

    def in_force_on(self, d: date) -> bool:
        """Whether `d` falls inside this version's own dates (`effective_to` exclusive)."""
        return self.effective_from <= d and (self.effective_to is None or d < self.effective_to)

    def served(self) -> dict[str, Any]:
        """SPEC §5: the document as served: defaults filled in, `requires` and test cases as
        written, domains in served order, dates as ISO strings. Equal dicts = the same policy."""
        data = self.model_dump(
            mode="json", exclude_none=True, exclude={"effective_to", "domains", "tests"}
        )
        return {
            "jurisdiction": data["jurisdiction"],
            "version": self.version,
            "effective_from": data["effective_from"],
            # null has a meaning here (in force until replaced), so it is served (SPEC §7).
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "sources": data["sources"],
            "notes": data["notes"],
            "permit": data["permit"],
            "indicators": data["indicators"],
            "adjustments": data["adjustments"],
            "domains": {
                name: [tier.served() for tier in tiers] for name, tiers in self.domains.items()
            },
            "tests": [case.model_dump(mode="json", exclude_unset=True) for case in self.tests],
        }
