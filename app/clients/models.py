"""API clients: other systems calling jifen, each with a hashed key, scopes and jurisdictions."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import Sequence, UTCDateTime, utcnow

ALL_JURISDICTIONS = "all"


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_clients"

    seq: int | None = Field(
        default=None, sa_column=sa.Column(Sequence, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid, unique=True, nullable=False)
    )
    name: str = Field(sa_column=sa.Column(sa.String(100), unique=True, nullable=False))
    # SHA-256 of the key, hex: the key itself is never stored (SPEC §7).
    key_digest: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    # Space-separated, so that the column reads the same on both databases.
    scopes: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    jurisdictions: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Key lifecycle: a key past `expires_at` or a client with `revoked_at` is refused. After a
    # rotation the previous key stays valid until `previous_key_expires_at` (a grace period
    # for the systems that hold it to switch).
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    previous_key_digest: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), unique=True, nullable=True)
    )
    previous_key_expires_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, nullable=True
    )
    # Written at most once a minute: when a key was last used, for operators deciding what to
    # revoke.
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def all_jurisdictions(self) -> bool:
        return self.jurisdictions == ALL_JURISDICTIONS

    @property
    def jurisdiction_set(self) -> frozenset[str]:
        return frozenset() if self.all_jurisdictions else frozenset(self.jurisdictions.split())

    def holds(self, jurisdiction: str) -> bool:
        return self.all_jurisdictions or jurisdiction in self.jurisdiction_set
