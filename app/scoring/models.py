"""Assessments: immutable, citable scores (SPEC §4, §7)."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow


class Assessment(SQLModel, table=True):
    __tablename__ = "assessments"

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    holder_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("holders.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    policy_id: str = Field(
        sa_column=sa.Column(
            sa.String(100), sa.ForeignKey("policies.id", ondelete="RESTRICT"), nullable=False
        )
    )
    as_of: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    client: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    inputs_digest: str = Field(sa_column=sa.Column(sa.String(71), nullable=False))
    # The score answer exactly as given, as JSON text: it never changes afterwards.
    score: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class RankingSnapshot(SQLModel, table=True):
    """The order of a ranking walk, fixed by its first page (SPEC §7): its cursors keep
    answering from it while records change, for at least an hour after its last use."""

    __tablename__ = "ranking_snapshots"

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    jurisdiction: str = Field(sa_column=sa.Column(sa.String(6), nullable=False))
    as_of: date
    policy_id: str = Field(
        sa_column=sa.Column(
            sa.String(100), sa.ForeignKey("policies.id", ondelete="RESTRICT"), nullable=False
        )
    )
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )


class RankingEntry(SQLModel, table=True):
    __tablename__ = "ranking_entries"

    snapshot_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("ranking_snapshots.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    rank: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    # No foreign key: a snapshot is a copy of a moment, not a view of the register.
    holder_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    total_points: int
    insurance_months: int
    residence_months: int
