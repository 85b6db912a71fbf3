"""What clients write and read (SPEC §4, §7). Inputs refuse unknown keys and parse strictly;
rules that need the holder, the date or the policies live in `service.py`."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.core.fields import left_out_when_none
from app.core.i18n import MONTH_PATTERN, tr
from app.domain.calendar import Month
from app.domain.records import Housing, InsuranceType, PermitStatus

DivisionCodeText = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{6}$"), Field(examples=["441702"])
]
TownshipCodeText = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{9}$"),
    Field(
        description="Township-level code (GB/T 10114): the district's 6 digits and 3 more; "
        "001-099 a subdistrict, 100-199 a town, 200-399 a township, 400-999 another unit",
        examples=["441702100"],
    ),
]
_MONTH = re.compile(MONTH_PATTERN)


def _month_text(value: Any) -> Month:
    """A month arrives as `YYYY-MM` text and is a `Month` from the edge on."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if not _MONTH.match(value):
        raise PydanticCustomError("month", "Input should be a month, YYYY-MM")
    return Month(int(value[:4]), int(value[5:]))


MonthText = Annotated[
    Month,
    BeforeValidator(_month_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONTH_PATTERN,
            "description": "A month, YYYY-MM",
            "examples": ["2023-05"],
        }
    ),
]
IdNumberText = Annotated[str, StringConstraints(min_length=1, max_length=18)]


def _printable(value: str) -> str:
    if not value.isprintable():
        # A `Message`, so that the answer has it in both languages (`validation_message`).
        raise ValueError(tr("Control characters are not allowed.", "不允许控制字符。"))
    return value


# Free text: trimmed, not blank (but a note), no control characters.
_Printable = AfterValidator(_printable)
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Printable
]
PermitNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), _Printable
]
RecordSource = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), _Printable
]
Note = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=0, max_length=500), _Printable
]


class Input(BaseModel):
    """A request body: strict types, unknown keys refused (SPEC §4)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Output(BaseModel):
    """An answer. Optional keys without a value are left out rather than written as null
    (SPEC §7: `left_out_when_none`), except those where null means something (an open end)."""

    model_config = ConfigDict(from_attributes=True)


class PermitIn(Input):
    number: PermitNumber
    issued_on: date
    valid_until: date
    status: PermitStatus


class HolderCreate(Input):
    jurisdiction: DivisionCodeText
    id_number: IdNumberText
    name: PersonName
    permit: PermitIn


class PermitPatch(Input):
    number: PermitNumber | None = None
    issued_on: date | None = None
    valid_until: date | None = None
    status: PermitStatus | None = None


class HolderPatch(Input):
    """JSON Merge Patch (RFC 7396) of `name` and `permit`; every given key must have a value."""

    name: PersonName | None = None
    permit: PermitPatch | None = None


class PermitOut(Output):
    number: str
    issued_on: date
    valid_until: date
    status: PermitStatus


class HolderPublic(Output):
    id: uuid.UUID
    jurisdiction: str
    id_number: str = Field(description="Masked (first 6 and last 4) without id_numbers:read")
    name: str
    permit: PermitOut
    created_at: datetime
    updated_at: datetime


class HolderLookup(Input):
    jurisdiction: DivisionCodeText
    id_number: IdNumberText


class ResidencePeriodCreate(Input):
    district: DivisionCodeText
    start_date: date
    end_date: date | None = None
    housing: Housing = Housing.other
    township: TownshipCodeText | None = None
    source: RecordSource | None = None


class ResidencePeriodPublic(Output):
    id: uuid.UUID
    district: str
    start_date: date
    end_date: date | None
    housing: Housing
    township: str | None = left_out_when_none()
    source: str | None = left_out_when_none()


class InsurancePeriodCreate(Input):
    district: DivisionCodeText
    type: InsuranceType
    start_month: MonthText
    end_month: MonthText | None = None
    source: RecordSource | None = None


class InsurancePeriodPublic(Output):
    id: uuid.UUID
    district: str
    type: InsuranceType
    start_month: str
    end_month: str | None
    source: str | None = left_out_when_none()


class AdjustmentCreate(Input):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    effective_from: date
    effective_to: date | None = None
    note: Note | None = None


class AdjustmentPublic(Output):
    id: uuid.UUID
    code: str
    effective_from: date
    effective_to: date | None
    note: str | None = left_out_when_none()


class EndorsementCreate(Input):
    endorsed_on: date | None = None
    note: Note | None = None


class EndorsementPublic(Output):
    id: uuid.UUID
    endorsed_on: date
    previous_valid_until: date
    valid_until: date
    client: str
    note: str | None = left_out_when_none()


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A collection: `next_cursor` is null on the last page (SPEC §7)."""

    items: list[T]
    next_cursor: str | None
