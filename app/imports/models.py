"""Bulk imports: the report of each NDJSON batch, kept for its client (SPEC §7)."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow


class ImportBatch(SQLModel, table=True):
    __tablename__ = "imports"
    __table_args__ = (
        sa.CheckConstraint("state IN ('running', 'stored', 'too_large')", name="state"),
        sa.UniqueConstraint("client_id", "idempotency_key"),
    )

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
    # running, stored (every line read), too_large (stopped at the size limit). A running batch
    # whose lease has run out was interrupted: the same key and bytes resume it.
    state: str = Field(default="running", sa_column=sa.Column(sa.String(16), nullable=False))
    # Every line up to `last_line` is accounted for (stored or rejected) in the counts above,
    # committed with the rows; `prefix_digest` is the SHA-256 of those lines' bytes, which a
    # resuming retry must match.
    last_line: int = 0
    prefix_digest: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    idempotency_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    # The run that holds the batch; it stores a chunk only while it still holds it.
    claim_token: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
