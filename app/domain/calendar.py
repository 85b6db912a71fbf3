"""Dates and months as SPEC §6.2 counts them.

`Month` is the calendar month of insurance records (`YYYY-MM`); `add_months` adds months the
way §6.2 does, keeping the day and clamping it to the month's last day.
"""

import calendar
import re
from datetime import date
from functools import total_ordering
from typing import Any

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@total_ordering
class Month:
    """A calendar month, immutable, ordered and hashable; `str(m)` is `YYYY-MM`.

    A plain class rather than a dataclass, so that Pydantic's Python-mode dumps keep it a Month.
    """

    __slots__ = ("index", "month", "year")
    year: int
    month: int
    index: int  # months since year 0: consecutive months have consecutive indexes

    def __init__(self, year: int, month: int) -> None:
        if not 1 <= year <= 9999 or not 1 <= month <= 12:
            raise ValueError(f"not a calendar month: {year}-{month}")
        object.__setattr__(self, "year", year)
        object.__setattr__(self, "month", month)
        object.__setattr__(self, "index", year * 12 + month - 1)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Month is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Month):
            return NotImplemented
        return (self.year, self.month) == (other.year, other.month)

    def __lt__(self, other: "Month") -> bool:
        if not isinstance(other, Month):
            return NotImplemented
        return (self.year, self.month) < (other.year, other.month)

    def __hash__(self) -> int:
        return hash((self.year, self.month))

    def __reduce__(self) -> tuple[type["Month"], tuple[int, int]]:
        return Month, (self.year, self.month)  # copy and pickle through __init__

    def __repr__(self) -> str:
        return f"Month({self.year}, {self.month})"

    @classmethod
    def parse(cls, text: str) -> "Month":
        """`"2023-05"` -> Month(2023, 5); ValueError for anything else (`2023-13`, `2023-5`)."""
        match = _MONTH_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"a month is written YYYY-MM, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, d: date) -> "Month":
        """The month that contains `d`."""
        return _KNOWN.get(d.year * 12 + d.month - 1) or _known(cls(d.year, d.month))

    @classmethod
    def from_index(cls, index: int) -> "Month":
        """Inverse of `index`."""
        year, month0 = divmod(index, 12)
        return _KNOWN.get(index) or _known(cls(year, month0 + 1))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def __add__(self, months: int) -> "Month":
        return Month.from_index(self.index + months)

    def __sub__(self, other: "Month") -> int:
        """Months from `other` to `self` (`2022-02 - 2021-12 == 2`)."""
        return self.index - other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # Lets Pydantic models hold a Month: parsed from "YYYY-MM", served as "YYYY-MM".
        from pydantic_core import PydanticCustomError, core_schema

        def validate(value: Any) -> "Month":
            if isinstance(value, Month):
                return value
            try:
                return cls.parse(value)
            except ValueError:
                raise PydanticCustomError("month", "Input should be a month, YYYY-MM") from None

        return core_schema.no_info_plain_validator_function(
            validate,
            json_schema_input_schema=core_schema.str_schema(pattern=_MONTH_RE.pattern),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda month, info: str(month) if info.mode_is_json() else month,
                info_arg=True,
            ),
        )


# Months are immutable, so one instance of each serves every record that names it (a score
# builds some forty from its insurance rows): at most 9999 x 12 of them.
_KNOWN: dict[int, Month] = {}


def _known(month: Month) -> Month:
    return _KNOWN.setdefault(month.index, month)


def add_months(d: date, n: int) -> date:
    """SPEC §6.2: `d` plus `n` months, the day clamped to the month's last day.

    `2024-01-31 + 1 month = 2024-02-29`; always computed from `d`, never step by step.
    """
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    if d.day <= 28:  # every month has the day
        return date(year, month0 + 1, d.day)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


def add_years(d: date, n: int) -> date:
    """SPEC §6.4: years are added like months (`2024-02-29 + 50 years = 2074-02-28`)."""
    return add_months(d, 12 * n)


def whole_months(start: date, end: date) -> int:
    """SPEC §6.2: the largest k >= 0 with `start + k months <= end` (0 when end <= start)."""
    if end <= start:
        return 0
    k = (end.year - start.year) * 12 + end.month - start.month
    # start + k months falls in end's month; one month less when its day is past end's day.
    if add_months(start, k) > end:
        k -= 1
    return k
