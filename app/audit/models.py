"""The audit trail: one append-only row per request that reads or writes personal data.

Never an ID number or a name. The database itself refuses UPDATE and DELETE on this table
(triggers in the migration), so not even a bug in the service can rewrite history.
"""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    client: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, index=True))
    method: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    route: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    status: int
    request_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    holder_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid, nullable=True, index=True)
    )
    # Space-delimited and padded (" 441700 621000 "), so that SQL can test "all held".
    jurisdictions: str = Field(sa_column=sa.Column(sa.String(2000), nullable=False))
    filter: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    rows: int | None = None
