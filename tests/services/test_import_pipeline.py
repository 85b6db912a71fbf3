"""An import's body read as it streams, without HTTP (SPEC §7): lines split anywhere between
the chunks of the body, chunks of lines stored in order, the size limit, and a resumed batch
whose bytes are checked against those its first run stored."""

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.clients.models import ApiClient
from app.clients.service import create_client
from app.core.errors import Conflict
from app.idempotency.models import IdempotencyKey
from app.imports.models import ImportBatch
from app.imports.pipeline import OtherBytes, ReadBatch, body_digest, claim, read_batch
from app.imports.run import ImportRun
from app.policies.catalogue import builtin_catalogue
from app.register.models import Holder, ResidencePeriod
from tests.conftest import holder_body, today
from tests.ids import make_id_number

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
LEASE = timedelta(seconds=60)
LIMIT = 1_000_000


def clock() -> datetime:
    return NOW


def body(holders: int) -> bytes:
    """`holders` holders, each followed by a residence period of theirs: 2 lines a holder."""
    lines = []
    for _ in range(holders):
        number = make_id_number()
        lines.append({"kind": "holder", "holder": holder_body(id_number=number)})
        lines.append({
            "kind": "residence_period", "holder": {"jurisdiction": "441700", "id_number": number},
            "record": {"district": "441702", "start_date": "2020-01-01"},
        })  # fmt: skip
    return b"\n".join(json.dumps(line, ensure_ascii=False).encode() for line in lines)


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    """The body as a server receives it: in pieces that cut lines anywhere."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def new_client(engine: sa.Engine) -> ApiClient:
    with Session(engine, expire_on_commit=False) as session:
        client, _ = create_client(
            session, f"import-{uuid.uuid4().hex[:8]}", ["holders:write"], ["all"]
        )
    return client


def start(engine: sa.Engine, key: str | None = None, now: datetime = NOW) -> ImportRun:
    """A new client's batch, claimed under `key`, and a run over it."""
    client = new_client(engine)
    claimed = asyncio.run(claim(engine, client, key, now, LEASE))
    assert not isinstance(claimed, IdempotencyKey)
    batch, _ = claimed
    return ImportRun(client, builtin_catalogue(), today(), "en", batch, LEASE)


def stored_batch(engine: sa.Engine, run: ImportRun) -> ImportBatch:
    with Session(engine) as session:
        return session.exec(select(ImportBatch).where(ImportBatch.id == run.batch.id)).one()


def rows(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def read(
    engine: sa.Engine, run: ImportRun, data: bytes, size: int, limit: int = LIMIT
) -> ReadBatch:
    return asyncio.run(read_batch(engine, clock, run, pieces(data, size), limit))


@pytest.mark.parametrize("size", [1, 7, 100, 1 << 20])
def test_lines_cut_anywhere_between_pieces_are_read_whole(engine: sa.Engine, size: int) -> None:
    data = body(3)
    run = start(engine)
    result = read(engine, run, data, size)
    assert result == ReadBatch("stored", "sha256:" + hashlib.sha256(data).hexdigest())
    assert run.report(result.state) == {
        "id": str(run.batch.id), "state": "stored", "lines": 6, "stored": 6, "rejected": [],
    }  # fmt: skip
    assert rows(engine, Holder) == 3 and rows(engine, ResidencePeriod) == 3
    batch = stored_batch(engine, run)
    assert (batch.state, batch.last_line, batch.lease_until) == ("stored", 6, None)


def test_chunks_of_lines_are_stored_in_order(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder's record in the chunk after the holder's own line finds it."""
    monkeypatch.setattr("app.imports.pipeline.CHUNK_LINES", 3)
    run = start(engine)
    result = read(engine, run, body(5) + b"\n\n{not json\n", 64)
    assert result.state == "stored"
    report = run.report(result.state)
    assert (report["lines"], report["stored"]) == (11, 10)
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [(12, "line")]  # blank 11
    assert rows(engine, ResidencePeriod) == 5


def test_the_size_limit_stops_the_batch_with_what_was_stored(engine: sa.Engine) -> None:
    data = body(4)
    first_two = data.index(b"\n", data.index(b"\n") + 1) + 1  # two whole lines, one holder's
    run = start(engine)
    result = read(engine, run, data, first_two, limit=first_two)
    assert result == ReadBatch(
        "too_large", "sha256:" + hashlib.sha256(data[:first_two]).hexdigest()
    )
    assert run.report(result.state)["stored"] == 2
    assert stored_batch(engine, run).state == "too_large"


def test_a_resumed_batch_reads_again_only_to_check_the_stored_lines(engine: sa.Engine) -> None:
    data = body(3)
    first = start(engine, "nightly", NOW - LEASE * 2)
    read(engine, first, data[: data.index(b"\n", data.index(b"\n") + 1) + 1], 50)
    with Session(engine) as session:  # the first run dies before it marks the batch read
        session.execute(
            sa.update(ImportBatch).where(ImportBatch.id == first.batch.id).values(
                state="running", lease_until=NOW - LEASE
            )
        )  # fmt: skip
        session.commit()
    claimed = asyncio.run(claim(engine, first.client, "nightly", NOW, LEASE))
    assert not isinstance(claimed, IdempotencyKey)
    batch, _ = claimed
    assert (batch.id, batch.last_line) == (first.batch.id, 2)
    run = ImportRun(first.client, builtin_catalogue(), today(), "en", batch, LEASE)
    assert read(engine, run, data, 50).state == "stored"
    assert run.report("stored")["stored"] == 6
    assert rows(engine, Holder) == 3  # the first holder once


@pytest.mark.parametrize("other", ["changed", "shorter"])
def test_other_bytes_for_a_resumed_batch_give_it_back(engine: sa.Engine, other: str) -> None:
    data = body(2)
    first = start(engine, "nightly", NOW - LEASE * 2)
    read(engine, first, data, 50)
    with Session(engine) as session:
        session.execute(
            sa.update(ImportBatch).where(ImportBatch.id == first.batch.id).values(
                state="running", lease_until=NOW - LEASE
            )
        )  # fmt: skip
        session.commit()
    claimed = asyncio.run(claim(engine, first.client, "nightly", NOW, LEASE))
    assert not isinstance(claimed, IdempotencyKey)
    run = ImportRun(first.client, builtin_catalogue(), today(), "en", claimed[0], LEASE)
    sent = data.replace(b"2020-01-01", b"2021-01-01") if other == "changed" else data[:10]
    with pytest.raises(OtherBytes):
        read(engine, run, sent, 50)
    batch = stored_batch(engine, run)
    assert (batch.state, batch.lease_until, batch.stored) == ("running", NOW, 4)


def test_a_run_whose_batch_a_retry_took_over_stops_with_409(engine: sa.Engine) -> None:
    run = start(engine)
    with Session(engine) as session:  # a retry claimed the batch under another token
        session.execute(
            sa.update(ImportBatch).where(ImportBatch.id == run.batch.id).values(
                claim_token=uuid.uuid4()
            )
        )  # fmt: skip
        session.commit()
    with pytest.raises(Conflict):
        read(engine, run, body(1), 50)
    assert rows(engine, Holder) == 0


def test_a_finished_batch_key_gives_the_first_answer_and_the_body_digest(
    engine: sa.Engine,
) -> None:
    client = new_client(engine)
    claimed = asyncio.run(claim(engine, client, "k", NOW, LEASE))
    assert not isinstance(claimed, IdempotencyKey)
    with Session(engine) as session:
        session.execute(
            sa.update(IdempotencyKey).where(IdempotencyKey.key == "k").values(status=201)
        )
        session.commit()
    again = asyncio.run(claim(engine, client, "k", NOW, LEASE))
    assert isinstance(again, IdempotencyKey) and again.status == 201
    data = body(1)
    assert asyncio.run(body_digest(pieces(data, 5))) == (
        "sha256:" + hashlib.sha256(data).hexdigest()
    )
