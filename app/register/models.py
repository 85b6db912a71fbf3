"""Tables of the register (SPEC §4): holders and the records other systems write about them.

Every table has `seq`, the insertion sequence: "recorded first", list order and cursors follow
it. Rules that the database can hold (uniqueness, foreign keys, date order, enums) are
constraints here as well as checks in the schemas.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, one_of, utcnow
from app.domain.records import Housing, InsuranceType, PermitStatus


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _seq() -> sa.Column[int]:
    return sa.Column(Sequence, primary_key=True, autoincrement=True)


def _holder_fk() -> sa.Column[uuid.UUID]:
    # RESTRICT: holders are never deleted (status changes instead), so a record is never orphaned.
    return sa.Column(
        sa.Uuid, sa.ForeignKey("holders.id", ondelete="RESTRICT"), nullable=False, index=True
    )


class Holder(SQLModel, table=True):
    __tablename__ = "holders"
    __table_args__ = (
        sa.UniqueConstraint("jurisdiction", "id_number"),
        sa.CheckConstraint("permit_valid_until >= permit_issued_on", name="permit_dates"),
        sa.CheckConstraint(one_of("permit_status", _values(PermitStatus)), name="permit_status"),
    )

    seq: int | None = Field(default=None, sa_column=_seq())
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    jurisdiction: str = Field(sa_column=sa.Column(sa.String(6), nullable=False, index=True))
    id_number: str = Field(sa_column=sa.Column(sa.String(18), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    permit_number: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    permit_issued_on: date
    permit_valid_until: date
    permit_status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    @property
    def etag(self) -> str:
        """Strong ETag from the optimistic-concurrency version (SPEC §7)."""
        return f'"{self.id}.{self.version}"'


class ResidencePeriod(SQLModel, table=True):
    __tablename__ = "residence_periods"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name="date_order"),
        sa.CheckConstraint(one_of("housing", _values(Housing)), name="housing"),
        sa.CheckConstraint(
            "township IS NULL OR (length(township) = 9 AND substr(township, 1, 6) = district)",
            name="township_in_district",
        ),
    )

    seq: int | None = Field(default=None, sa_column=_seq())
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    holder_id: uuid.UUID = Field(sa_column=_holder_fk())
    district: str = Field(sa_column=sa.Column(sa.String(6), nullable=False))
    start_date: date
    end_date: date | None = None
    housing: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    # GB/T 10114 township code; null when the system that wrote the period did not record it.
    township: str | None = Field(default=None, sa_column=sa.Column(sa.String(9), nullable=True))
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))


class InsurancePeriod(SQLModel, table=True):
    """Months are stored as the first day of the month: readable, and ordered in SQL."""

    __tablename__ = "insurance_periods"
    __table_args__ = (
        sa.CheckConstraint("end_month IS NULL OR end_month >= start_month", name="month_order"),
        sa.CheckConstraint(one_of("type", _values(InsuranceType)), name="type"),
    )

    seq: int | None = Field(default=None, sa_column=_seq())
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    holder_id: uuid.UUID = Field(sa_column=_holder_fk())
    district: str = Field(sa_column=sa.Column(sa.String(6), nullable=False))
    type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    start_month: date
    end_month: date | None = None
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))


class Adjustment(SQLModel, table=True):
    __tablename__ = "adjustments"
    __table_args__ = (
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to > effective_from", name="date_order"
        ),
    )

    seq: int | None = Field(default=None, sa_column=_seq())
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    holder_id: uuid.UUID = Field(sa_column=_holder_fk())
    code: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    effective_from: date
    effective_to: date | None = None
    note: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))


class Endorsement(SQLModel, table=True):
    __tablename__ = "endorsements"
    __table_args__ = (sa.CheckConstraint("valid_until >= previous_valid_until", name="extends"),)

    seq: int | None = Field(default=None, sa_column=_seq())
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    holder_id: uuid.UUID = Field(sa_column=_holder_fk())
    endorsed_on: date
    previous_valid_until: date
    valid_until: date
    client: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    note: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
