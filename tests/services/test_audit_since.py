"""The `since` of a reading of the audit trail: a time with its offset, or a date at midnight
in the service's time zone."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.audit.service import parse_since
from app.core.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_no_since_is_no_bound() -> None:
    assert parse_since(None, SHANGHAI) is None


def test_a_date_is_its_midnight_in_the_zone() -> None:
    since = parse_since("2025-03-01", SHANGHAI)
    assert since == datetime(2025, 3, 1, tzinfo=SHANGHAI)
    assert since is not None and since.astimezone(UTC) == datetime(2025, 2, 28, 16, tzinfo=UTC)


def test_the_same_date_in_another_zone_is_another_moment() -> None:
    assert parse_since("2025-03-01", UTC) == datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2025-03-01T08:30:00Z", datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
        ("2025-03-01T08:30:00+00:00", datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
        ("2025-03-01T16:30:00+08:00", datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
        ("2025-03-01T08:30:00.250-05:00",
         datetime(2025, 3, 1, 8, 30, 0, 250000, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)  # fmt: skip
def test_an_rfc_3339_time_keeps_its_offset(value: str, moment: datetime) -> None:
    assert parse_since(value, SHANGHAI) == moment


@pytest.mark.parametrize(
    "value", ["yesterday", "2025-03-01T08:30:00", "2025-02-30", "2025-3-1", "", "2025-03-01 x"]
)
def test_anything_else_is_422_naming_since(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_since(value, SHANGHAI)
    assert [e.field for e in refused.value.errors or []] == ["since"]
