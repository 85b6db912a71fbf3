"""The rate limiter on its own: fixed one-minute windows per client, in the database."""

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.ratelimit.models import RateWindow
from app.ratelimit.service import TooManyRequests, count_request

NOW = datetime(2025, 3, 1, 8, 30, 15, tzinfo=UTC)


def test_requests_up_to_the_limit_pass(engine: sa.Engine) -> None:
    client_id = uuid.uuid4()
    with Session(engine) as session:
        for _ in range(3):
            count_request(session, client_id, 3, NOW)
        window = session.exec(select(RateWindow).where(RateWindow.client_id == client_id)).one()
    assert window.requests == 3


def test_one_over_the_limit_is_429_with_the_seconds_left(engine: sa.Engine) -> None:
    client_id = uuid.uuid4()
    with Session(engine) as session:
        for _ in range(2):
            count_request(session, client_id, 2, NOW)
        with pytest.raises(TooManyRequests) as refused:
            count_request(session, client_id, 2, NOW)
    assert refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "46"}  # 45 s to 08:31:00, rounded up past it


def test_each_client_has_its_own_window(engine: sa.Engine) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    with Session(engine) as session:
        count_request(session, first, 1, NOW)
        count_request(session, second, 1, NOW)
        with pytest.raises(TooManyRequests):
            count_request(session, first, 1, NOW)


def test_a_new_minute_starts_a_new_count_and_forgets_old_windows(engine: sa.Engine) -> None:
    client_id = uuid.uuid4()
    with Session(engine) as session:
        count_request(session, client_id, 1, NOW)
        count_request(session, client_id, 1, NOW.replace(minute=31))
        count_request(session, client_id, 1, NOW.replace(minute=33))
        starts = session.exec(
            select(RateWindow.window_start).where(RateWindow.client_id == client_id)
        ).all()
    assert sorted(starts) == [datetime(2025, 3, 1, 8, 33, tzinfo=UTC)]
