"""Bulk imports: the report of each NDJSON batch, kept for its client (SPEC §7)."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow


class ImportBatch(SQLModel, table=True):
    __tablename__ = "imports"

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    lines: int = 0
    stored: int = 0
    # [{line, field, message}] as JSON: never a value from the line.
    rejected: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))
    complete: bool = Field(default=False, description="False when the body passed the limit")
