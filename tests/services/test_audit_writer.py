"""Group commit of read audit rows (issue 18): concurrent rows share one insert, each write
returns only once its row is committed, and a failed insert fails every write of its group.
Through the writer the app builds: PostgreSQL's event-loop pool, or SQLite's thread."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from app.audit.service import Row
from app.audit.writer import AuditWriter, audit_writer
from app.core.config import Settings
from app.db.aio import AsyncPostgres, DatabaseError
from app.db.base import utcnow

T = TypeVar("T")


def event(client: str, n: int) -> Row:
    return {
        "id": uuid.uuid4(), "at": utcnow(), "client": client, "method": "GET",
        "route": "/v1/holders/{holder_id}/score", "action": "readScore", "status": 200,
        "request_id": f"{client}-{n}", "holder_id": None, "jurisdictions": "", "filter": None,
        "rows": None,
    }  # fmt: skip


def stored(engine: sa.Engine, client: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT request_id FROM audit_events WHERE client = :c ORDER BY seq"),
                {"c": client},
            ).scalars()
        )


def with_writer(
    settings: Settings, engine: sa.Engine, work: Callable[[AuditWriter], Awaitable[T]]
) -> T:
    """`work` with the app's writer for this database, on an event loop of its own."""

    async def run() -> T:
        postgres = None if settings.is_sqlite else AsyncPostgres(settings)
        if postgres is not None:
            await postgres.open()
        writer = audit_writer(engine, postgres)
        try:
            return await work(writer)
        finally:
            await writer.stop()
            if postgres is not None:
                await postgres.close()

    return asyncio.run(run())


def test_concurrent_rows_are_inserted_together(settings: Settings, engine: sa.Engine) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"
    groups: list[int] = []

    async def many(writer: AuditWriter) -> None:
        run = writer.run

        async def counted(rows: list[Row]) -> Any:
            groups.append(len(rows))
            return await run(rows)

        writer.run = counted
        await asyncio.gather(*(writer.submit(event(client, n)) for n in range(60)))

    with_writer(settings, engine, many)
    assert sorted(stored(engine, client)) == sorted(f"{client}-{n}" for n in range(60))
    assert sum(groups) == 60
    assert 1 <= len(groups) <= 3, groups  # the first row alone, then the rest together


def test_a_write_returns_only_once_its_row_is_committed(
    settings: Settings, engine: sa.Engine
) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"

    async def one_then_read(writer: AuditWriter) -> list[str]:
        await writer.submit(event(client, 1))
        return stored(engine, client)  # another connection sees it at once

    assert with_writer(settings, engine, one_then_read) == [f"{client}-1"]


def test_a_failed_insert_fails_every_write_of_its_group(
    settings: Settings, engine: sa.Engine
) -> None:
    """A row the table refuses (no route: NOT NULL) makes its group's insert fail: no write of
    the group returns normally, and none of its rows is stored."""
    client = f"writer-{uuid.uuid4().hex[:8]}"
    bad = {**event(client, 0), "route": None}

    async def group(writer: AuditWriter) -> list[Any]:
        return await asyncio.gather(
            writer.submit(bad), *(writer.submit(event(client, n)) for n in range(1, 5)),
            return_exceptions=True,
        )  # fmt: skip

    outcomes = with_writer(settings, engine, group)
    assert isinstance(outcomes[0], (sa.exc.SQLAlchemyError, DatabaseError)), outcomes[0]
    committed = set(stored(engine, client))
    for n, outcome in enumerate(outcomes[1:], start=1):
        # A row either failed with the bad one or was committed in a group of its own.
        assert (outcome is None) == (f"{client}-{n}" in committed)
    assert any(outcome is not None for outcome in outcomes[1:])  # grouped with the bad one
    assert f"{client}-0" not in committed


def test_a_text_longer_than_its_column_fails_rather_than_being_cut(
    settings: Settings, engine: sa.Engine
) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"
    long = {**event(client, 0), "method": "X" * 11}  # the column holds 10

    async def write(writer: AuditWriter) -> BaseException | None:
        try:
            await writer.submit(long)
        except (sa.exc.SQLAlchemyError, DatabaseError) as exc:
            return exc
        return None

    failed = with_writer(settings, engine, write)
    if settings.is_sqlite:  # SQLite keeps text of any length
        assert failed is None and stored(engine, client) == [f"{client}-0"]
    else:
        assert failed is not None and stored(engine, client) == []


def test_stop_commits_what_was_queued(settings: Settings, engine: sa.Engine) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"

    async def write_and_stop(writer: AuditWriter) -> None:
        pending = [asyncio.ensure_future(writer.submit(event(client, n))) for n in range(5)]
        await asyncio.sleep(0)  # queued
        await writer.stop()
        assert len(stored(engine, client)) == 5  # committed by the time stop returns
        await asyncio.gather(*pending)
        await writer.submit(event(client, 9))  # and it starts again on the next write

    with_writer(settings, engine, write_and_stop)
    assert len(stored(engine, client)) == 6


def test_rows_are_stored_as_they_were_written(settings: Settings, engine: sa.Engine) -> None:
    """Every column back as written: text that JSON or SQL must escape, a time to the
    microsecond, a holder id, counts, a null."""
    client = f'客户端 "{uuid.uuid4().hex[:6]}" \\ \' ;'
    row = {
        **event(client, 1),
        "holder_id": uuid.uuid4(),
        "jurisdictions": " 441700 621000 ",
        "filter": '{"name": "张\\"三"}',
        "rows": 3,
        "status": 404,
    }

    async def write(writer: AuditWriter) -> None:
        await writer.submit(row)

    with_writer(settings, engine, write)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text(
                "SELECT id, at, client, method, route, action, status, request_id, holder_id,"
                " jurisdictions, filter, rows FROM audit_events WHERE client = :c"
            ),
            {"c": client},
        ).one()
    as_read = dict(stored._mapping)
    for name in ("id", "holder_id"):
        as_read[name] = uuid.UUID(str(as_read[name]))
    at = as_read["at"]
    if isinstance(at, str):  # SQLite keeps text, and no zone: stored as UTC
        at = datetime.fromisoformat(at).replace(tzinfo=UTC)
    as_read["at"] = at
    assert as_read == row
