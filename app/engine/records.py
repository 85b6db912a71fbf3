"""SPEC §4: one holder's records as the engine reads them, and how to build them from the
API's shapes."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from app.domain.calendar import Month

# --- records (SPEC §4) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Permit:
    issued_on: date
    valid_until: date  # inclusive
    status: str  # active, suspended, revoked


# The periods and adjustments are named tuples: as immutable as a frozen dataclass, and
# built in a third of its time (a score builds some thirty of them from its rows).


class ResidencePeriod(NamedTuple):
    district: str
    start_date: date  # inclusive
    end_date: date | None  # exclusive; None while ongoing
    housing: str = "other"
    township: str | None = None  # 9 digits (SPEC §4); None: not recorded


class InsurancePeriod(NamedTuple):
    district: str
    type: str
    start_month: Month  # inclusive
    end_month: Month | None  # inclusive; None while ongoing


class AdjustmentRecord(NamedTuple):
    code: str
    effective_from: date  # inclusive
    effective_to: date | None  # exclusive; None = open


@dataclass(frozen=True)
class Records:
    """One holder's records, each list in insertion order ("recorded first" = earlier)."""

    permit: Permit
    residence_periods: tuple[ResidencePeriod, ...] = ()
    insurance_periods: tuple[InsurancePeriod, ...] = ()
    adjustments: tuple[AdjustmentRecord, ...] = ()


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _as_month(value: Month | str) -> Month:
    return value if isinstance(value, Month) else Month.parse(value)


def records_from_dicts(
    permit: dict[str, Any],
    residence: Iterable[dict[str, Any]] = (),
    insurance: Iterable[dict[str, Any]] = (),
    adjustments: Iterable[dict[str, Any]] = (),
) -> Records:
    """Records from the shapes of SPEC §4 (dates as `date` or ISO strings, months as `Month` or
    `YYYY-MM`). Validation is the caller's (the API schemas); other keys (`id`, `source`,
    `note`) are ignored."""
    return Records(
        permit=Permit(
            issued_on=_as_date(permit["issued_on"]),
            valid_until=_as_date(permit["valid_until"]),
            status=permit["status"],
        ),
        residence_periods=tuple(
            ResidencePeriod(
                district=r["district"],
                start_date=_as_date(r["start_date"]),
                end_date=_as_date(r["end_date"]) if r.get("end_date") is not None else None,
                housing=r.get("housing") or "other",
                township=r.get("township"),
            )
            for r in residence
        ),
        insurance_periods=tuple(
            InsurancePeriod(
                district=p["district"],
                type=p["type"],
                start_month=_as_month(p["start_month"]),
                end_month=_as_month(p["end_month"]) if p.get("end_month") is not None else None,
            )
            for p in insurance
        ),
        adjustments=tuple(
            AdjustmentRecord(
                code=a["code"],
                effective_from=_as_date(a["effective_from"]),
                effective_to=_as_date(a["effective_to"])
                if a.get("effective_to") is not None
                else None,
            )
            for a in adjustments
        ),
    )
