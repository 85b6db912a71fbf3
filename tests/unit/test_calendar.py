"""SPEC §6.2: months added with the day clamped; the Month value type of insurance records."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.calendar import Month, add_months, add_years, whole_months
from tests import oracle


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # SPEC §6.2's own example (leap year)
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2018, 1, 31), 1, date(2018, 2, 28)),  # not 2018-03-03 as SQLite gives
        (date(2024, 1, 31), 2, date(2024, 3, 31)),  # from the start, not month by month
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 20), 0, date(2024, 5, 20)),
    ],
)
def test_add_months_keeps_the_day_and_clamps_it(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 50, date(2074, 2, 28)),  # SPEC §6.4's example
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2022, 3, 1), 50, date(2072, 3, 1)),
    ],
)
def test_add_years_adds_twelve_months_each(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2018, 1, 31), date(2022, 3, 1), 49),  # SPEC §6.5, 2022-03-01
        (date(2018, 1, 31), date(2022, 7, 1), 53),  # SPEC §6.5, 2022-07-01
        (date(2018, 1, 31), date(2026, 11, 22), 105),  # SPEC §6.5, 2026-11-22
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # Jan 31 + 1 month = Feb 29 <= Feb 29
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2020, 2, 29), date(2021, 2, 28), 12),  # a leap-day anniversary clamps
        (date(2020, 2, 29), date(2021, 2, 27), 11),
        (date(2020, 1, 1), date(2020, 1, 1), 0),
        (date(2020, 1, 2), date(2020, 1, 1), 0),
    ],
)
def test_whole_months_is_the_largest_k_with_start_plus_k_within(
    start: date, end: date, expected: int
) -> None:
    assert whole_months(start, end) == expected


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@given(dates, dates)
def test_whole_months_matches_the_definition(start: date, end: date) -> None:
    k = whole_months(start, end)
    if end <= start:
        assert k == 0
    else:
        assert add_months(start, k) <= end < add_months(start, k + 1)


@given(dates, dates, st.integers(min_value=-600, max_value=600))
def test_the_calendar_equals_the_oracle(start: date, end: date, months: int) -> None:
    """The definition above checks whole_months with the engine's own add_months: the oracle's
    arithmetic, written again from SPEC §6.2's words, checks both."""
    assert add_months(start, months) == oracle.add_months(start, months)
    assert whole_months(start, end) == oracle.whole_months(start, end)
    assert add_years(start, months // 12) == oracle.add_years(start, months // 12)


@pytest.mark.parametrize("text", ["2023-13", "2023-00", "2023-5", "23-05", "2023-05-01", "", "x"])
def test_month_parse_refuses_malformed_text(text: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(text)


def test_month_is_an_ordered_hashable_value() -> None:
    may = Month.parse("2023-05")
    assert may == Month(2023, 5)
    assert str(may) == "2023-05"
    assert str(Month(987, 1)) == "0987-01"
    assert Month(2022, 12) < Month(2023, 1) < may
    assert len({may, Month(2023, 5)}) == 1
    assert Month.of(date(2026, 11, 22)) == Month(2026, 11)
    assert Month(2024, 2).first_day == date(2024, 2, 1)
    assert Month(2021, 12) + 2 == Month(2022, 2)
    assert Month(2022, 2) - Month(2021, 12) == 2
    assert Month.from_index(Month(2021, 12).index + 1) == Month(2022, 1)


def test_month_is_immutable() -> None:
    with pytest.raises(AttributeError):
        Month(2023, 5).year = 2024  # type: ignore[misc]
