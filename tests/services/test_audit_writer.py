"""Group commit of read audit rows (issue 18): concurrent rows share transactions, each write
returns only once its row is committed, and a failed commit fails every write of its group."""

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.audit.writer import AuditWriter


def event(client: str, n: int) -> AuditEvent:
    return AuditEvent(
        client=client, method="GET", route="/v1/holders/{holder_id}/score",
        action="readScore", status=200, request_id=f"{client}-{n}", jurisdictions="",
    )  # fmt: skip


def stored(engine: sa.Engine, client: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT request_id FROM audit_events WHERE client = :c ORDER BY seq"),
                {"c": client},
            ).scalars()
        )


def test_concurrent_rows_are_committed_together(engine: sa.Engine) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"
    commits = 0

    def count(connection: Any) -> None:
        nonlocal commits
        commits += 1

    writer = AuditWriter(engine)
    sa.event.listen(engine, "commit", count)
    try:

        async def many() -> None:
            await asyncio.gather(*(writer.write(event(client, n)) for n in range(60)))

        asyncio.run(many())
    finally:
        sa.event.remove(engine, "commit", count)
        writer.stop()
    rows = stored(engine, client)
    assert sorted(rows) == sorted(f"{client}-{n}" for n in range(60))
    assert 1 <= commits <= 10  # one transaction per group, not per row


def test_a_write_returns_only_once_its_row_is_committed(engine: sa.Engine) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"
    writer = AuditWriter(engine)
    try:

        async def one_then_read() -> list[str]:
            await writer.write(event(client, 1))
            return stored(engine, client)  # another connection sees it at once

        assert asyncio.run(one_then_read()) == [f"{client}-1"]
    finally:
        writer.stop()


def test_a_failed_commit_fails_every_write_of_its_group(engine: sa.Engine) -> None:
    """A row the table refuses (a client name longer than its column on PostgreSQL, a NOT NULL
    on both) makes its group's transaction fail: no write of the group returns normally."""
    client = f"writer-{uuid.uuid4().hex[:8]}"
    writer = AuditWriter(engine)
    bad = event(client, 0).model_copy(update={"route": None})
    try:

        async def group() -> list[Any]:
            return await asyncio.gather(
                writer.write(bad), *(writer.write(event(client, n)) for n in range(1, 5)),
                return_exceptions=True,
            )  # fmt: skip

        outcomes = asyncio.run(group())
    finally:
        writer.stop()
    assert isinstance(outcomes[0], sa.exc.SQLAlchemyError)
    committed = set(stored(engine, client))
    for n, outcome in enumerate(outcomes[1:], start=1):
        # A row either failed with the bad one or was committed in a group of its own.
        assert (outcome is None) == (f"{client}-{n}" in committed)
    assert f"{client}-0" not in committed


def test_stop_commits_what_was_queued(engine: sa.Engine) -> None:
    client = f"writer-{uuid.uuid4().hex[:8]}"
    writer = AuditWriter(engine)

    async def write_and_stop() -> None:
        pending = [asyncio.ensure_future(writer.write(event(client, n))) for n in range(5)]
        await asyncio.sleep(0)  # queued
        await asyncio.get_running_loop().run_in_executor(None, writer.stop)
        await asyncio.gather(*pending)

    asyncio.run(write_and_stop())
    assert len(stored(engine, client)) == 5
    asyncio.run(writer.write(event(client, 9)))  # and it starts again on the next write
    writer.stop()
    assert len(stored(engine, client)) == 6
