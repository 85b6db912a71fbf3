"""Per-client rate limits (SPEC §7): fixed one-minute windows, counted in the database."""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.core.errors import ApiError
from app.core.i18n import tr
from app.db.base import table_of
from app.db.session import end_read_before_write
from app.ratelimit.models import RateWindow

RATE_WINDOW = timedelta(minutes=1)


class TooManyRequests(ApiError):
    status = 429


def count_request(session: Session, client_id: uuid.UUID, limit: int, now: datetime) -> None:
    """Fixed one-minute windows per client, counted in the database (all workers and
    replicas share them). Over the limit: 429 with Retry-After, the seconds left."""
    start = now.replace(second=0, microsecond=0)
    insert = (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert  # type: ignore[union-attr]
    statement = (
        insert(RateWindow)
        .values(client_id=client_id, window_start=start, requests=1)
        .on_conflict_do_update(
            index_elements=["client_id", "window_start"],
            set_={"requests": table_of(RateWindow).c.requests + 1},
        )
        .returning(table_of(RateWindow).c.requests)
    )
    end_read_before_write(session)
    requests = session.execute(statement).scalar_one()
    session.execute(sa.delete(RateWindow).where(col(RateWindow.window_start) < start - RATE_WINDOW))
    session.commit()
    if requests > limit:
        retry_after = max(1, int((start + RATE_WINDOW - now).total_seconds()) + 1)
        raise TooManyRequests(
            tr(
                f"More than {limit} requests a minute; retry in {retry_after} s.",
                f"每分钟请求超过 {limit} 次，请 {retry_after} 秒后重试。",
            ),
            headers={"Retry-After": str(retry_after)},
        )
