"""The lines of an NDJSON import (SPEC §7): each is checked like its single-record route."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from app.core.fields import left_out_when_none
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


# --- the report of a batch (SPEC §7) ---------------------------------------------------------


class RejectedLine(BaseModel):
    line: int
    field: str
    message: str


class ImportReport(BaseModel):
    id: str
    state: str = Field(
        description="running, stored (every line read), too_large (stopped at the size "
        "limit), or interrupted (its run died: the same key and bytes resume it)"
    )
    lines: int
    stored: int
    rejected: list[RejectedLine]
    last_line: int | None = left_out_when_none(
        "While running or interrupted: every line up to it is accounted for"
    )
