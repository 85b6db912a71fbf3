"""A request that reads and then writes its bookkeeping (a key's last use, a rate window)
while another connection writes meanwhile: on SQLite a transaction that has read cannot start
writing after another's commit and failed at once with "database is locked" (503s under load,
found by the score benchmark); the write now waits its turn like any writer. On PostgreSQL it
never failed; the same test runs there."""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.clients.models import ApiClient
from app.clients.service import create_client, note_use
from app.ratelimit.models import RateWindow
from app.ratelimit.service import count_request

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def read_then_someone_writes(session: Session, engine: sa.Engine) -> None:
    """The request's transaction reads; another connection writes and commits."""
    session.exec(select(ApiClient).limit(1)).all()
    with Session(engine) as other:
        create_client(other, f"other-{uuid.uuid4().hex[:8]}", ["holders:read"], ["all"])


def test_noting_a_keys_use_after_a_read_waits_for_its_turn(engine: sa.Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        client, _ = create_client(setup, f"c-{uuid.uuid4().hex[:8]}", ["holders:read"], ["all"])
        setup.expunge(client)
    with Session(engine, expire_on_commit=False) as session:
        read_then_someone_writes(session, engine)
        note_use(session, client, NOW)
    with Session(engine) as check:
        stored = check.exec(select(ApiClient).where(ApiClient.id == client.id)).one()
        assert stored.last_used_at == NOW


def test_counting_a_request_after_a_read_waits_for_its_turn(engine: sa.Engine) -> None:
    client_id = uuid.uuid4()
    with Session(engine) as session:
        read_then_someone_writes(session, engine)
        count_request(session, client_id, 10, NOW)
        count_request(session, client_id, 10, NOW)
    with Session(engine) as check:
        window = check.exec(select(RateWindow).where(RateWindow.client_id == client_id)).one()
    assert window.requests == 2
