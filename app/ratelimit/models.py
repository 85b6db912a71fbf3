"""Rate-limit windows, kept in the database so that every worker and replica counts the same
requests."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import UTCDateTime


class RateWindow(SQLModel, table=True):
    """Requests of one client in one fixed window (a minute)."""

    __tablename__ = "rate_windows"

    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, primary_key=True))
    window_start: datetime = Field(sa_column=sa.Column(UTCDateTime, primary_key=True))
    requests: int = 0
