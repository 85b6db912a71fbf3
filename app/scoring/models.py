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
