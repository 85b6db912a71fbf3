"""The lines of an NDJSON import (SPEC §7): each is checked like its single-record route."""

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from app.register.schemas import (
    AdjustmentCreate,
    DivisionCodeText,
    HolderCreate,
    IdNumberText,
    Input,
    InsurancePeriodCreate,
    ResidencePeriodCreate,
)


class HolderLine(Input):
    kind: Literal["holder"]
    holder: HolderCreate


class HolderRef(Input):
    jurisdiction: DivisionCodeText
    id_number: IdNumberText


class ResidenceLine(Input):
    kind: Literal["residence_period"]
    holder: HolderRef
    record: ResidencePeriodCreate


class InsuranceLine(Input):
    kind: Literal["insurance_period"]
    holder: HolderRef
    record: InsurancePeriodCreate


class AdjustmentLine(Input):
    kind: Literal["adjustment"]
    holder: HolderRef
    record: AdjustmentCreate


ImportLine = Annotated[
    HolderLine | ResidenceLine | InsuranceLine | AdjustmentLine, Field(discriminator="kind")
]
IMPORT_LINE = TypeAdapter(ImportLine)
