"""Impact runs: the comparison of a draft policy with the policy in force, kept (issue 17)."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, one_of, utcnow

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = frozenset({"done", "failed", "cancelled"})


class ImpactRun(SQLModel, table=True):
    """One run. Its draft, date and policies are fixed when it is created; its result is
    written once, when it is done, and never changed."""

    __tablename__ = "impact_runs"
    __table_args__ = (sa.CheckConstraint(one_of("state", STATES), name="state"),)

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    jurisdiction: str = Field(sa_column=sa.Column(sa.String(6), nullable=False, index=True))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    as_of: date
    policy_id: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    draft_id: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # SHA-256 of the draft as served, in canonical JSON: names the draft, which has no
    # published version to point at.
    draft_digest: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    draft_document: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # as served, JSON
    state: str = Field(default="queued", sa_column=sa.Column(sa.String(16), nullable=False))
    done: int = 0  # holders compared so far
    total: int = 0  # holders to compare (0 until counted)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # Written by the process that holds the run, every few seconds: a run whose heartbeat has
    # stopped was interrupted (the process ended) and is failed when next read.
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))  # never personal data
    result: str | None = Field(default=None, sa_column=sa.Column(sa.Text))  # JSON, once done
