"""Published policy versions, stored so that every score can name and reproduce its version."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow


class PolicyVersion(SQLModel, table=True):
    """One published version: never updated, never deleted (SPEC §5)."""

    __tablename__ = "policies"
    __table_args__ = (sa.UniqueConstraint("jurisdiction", "effective_from"),)

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: str = Field(sa_column=sa.Column(sa.String(100), unique=True, nullable=False))
    jurisdiction: str = Field(sa_column=sa.Column(sa.String(6), nullable=False, index=True))
    version: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    effective_from: date
    effective_to: date | None = None
    # The document as served (SPEC §5), as JSON text.
    document: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
