"""Idempotency keys: state other systems' retries depend on, kept in the database so that
every worker and replica sees the same."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow


class IdempotencyKey(SQLModel, table=True):
    """SPEC §7: the first answer given under a client's key, replayed to its retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("client_id", "key"),)

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    key: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    method: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    path: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    request_digest: str = Field(sa_column=sa.Column(sa.String(71), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    # The answer is kept only under the token of the request that holds the key. A request's
    # claim lives in its unit of work (gone if it dies); an import's is committed at once and
    # held until `lease_until` (null for a unit's claim, and for rows of release 0.1).
    claim_token: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid, nullable=True))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # Null while the first request is being processed.
    status: int | None = None
    headers: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    body: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
