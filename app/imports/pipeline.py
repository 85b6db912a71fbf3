"""An import's body read as it streams (SPEC §7): claimed, checked and stored a chunk at a
time, resumed after the lines an interrupted run stored, stopped at the size limit.

Each step opens its own session in the thread pool: an import commits chunk by chunk, outside
a request's unit of work, and the event loop goes on reading the body meanwhile.
"""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.clients.models import ApiClient
from app.core.errors import Conflict
from app.core.i18n import tr
from app.idempotency.models import IdempotencyKey
from app.idempotency.service import Claim, set_digest
from app.imports.models import ImportBatch
from app.imports.run import CHUNK_LINES, Chunk, ImportRun, LostBatch
from app.imports.service import claim_batch, let_go

TAKEN_OVER = tr(
    "A retry with this batch's Idempotency-Key resumed it; this run stopped.",
    "使用本批次幂等键的重试已接续该批次，本次运行已停止。",
)


class OtherBytes(Exception):
    """A retry whose lines differ from those the interrupted batch stored: the batch is given
    back at once, for a retry with the right bytes."""


@dataclass(frozen=True)
class ReadBatch:
    """How a batch's reading ended: `stored` (every line read) or `too_large` (stopped at the
    size limit), and the SHA-256 of the bytes read, as `sha256:<hex>`."""

    state: str
    digest: str


async def claim(
    engine: sa.Engine, client: ApiClient, key: str | None, now: datetime, lease: timedelta
) -> tuple[ImportBatch, Claim | None] | IdempotencyKey:
    """`claim_batch` in its own session: the batch and its key's claim, or the key's first
    answer (a retry of a finished batch)."""

    def claimed() -> tuple[ImportBatch, Claim | None] | IdempotencyKey:
        with Session(engine, expire_on_commit=False) as session:
            return claim_batch(session, client, key, now, lease)

    return await run_in_threadpool(claimed)


async def body_digest(stream: AsyncIterator[bytes]) -> str:
    """The SHA-256 of a whole body, as `sha256:<hex>` (a retry compared with the first)."""
    digest = hashlib.sha256()
    async for chunk in stream:
        digest.update(chunk)
    return "sha256:" + digest.hexdigest()


async def read_batch(
    engine: sa.Engine,
    clock: Callable[[], datetime],
    run: ImportRun,
    stream: AsyncIterator[bytes],
    limit: int,
) -> ReadBatch:
    """Read, check and store the body's lines into `run`'s batch, then mark the batch read.
    `OtherBytes` when a resumed batch's stored lines are not the ones sent again; `Conflict`
    when a retry took the batch over. Any failure gives the batch back at once: what is
    stored stays accounted for, and a retry with the key may resume it."""
    batch = run.batch
    digest = hashlib.sha256()
    # A resumed batch: its lines up to `last_line` are accounted for; they are read again
    # only to check that their bytes are the ones stored (the same key, the same batch).
    resume_after, prefix = batch.last_line, hashlib.sha256()
    raw_lines: list[tuple[int, bytes]] = []
    number, size, rest, too_large = 0, 0, b"", False
    # The last chunk's store runs while the next chunk is prepared: the database's time
    # checking keys and indexes overlaps the parsing (one chunk stored at a time, in order).
    storing: asyncio.Future[None] | None = None

    def prepare(lines: list[tuple[int, bytes]], last_line: int, prefix: str) -> Chunk:
        with Session(engine) as session:
            return run.prepare(session, lines, last_line, prefix)

    def store(chunk: Chunk) -> None:
        with Session(engine) as session:
            run.store(session, chunk, clock())

    async def next_chunk() -> None:
        nonlocal storing, raw_lines
        chunk = await run_in_threadpool(prepare, raw_lines, number, prefix.hexdigest())
        raw_lines = []
        if storing is not None:
            await storing
        storing = asyncio.ensure_future(run_in_threadpool(store, chunk))

    def read(line: bytes) -> None:
        nonlocal number
        number += 1
        prefix.update(line)
        if number > resume_after:
            if line.strip():
                raw_lines.append((number, line.rstrip(b"\n")))
        elif number == resume_after and prefix.hexdigest() != batch.prefix_digest:
            raise OtherBytes(str(batch.id))

    try:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                too_large = True
                break
            digest.update(chunk)
            *complete, rest = (rest + chunk).split(b"\n")
            for raw in complete:
                read(raw + b"\n")
            if len(raw_lines) >= CHUNK_LINES:
                await next_chunk()
        if not too_large and rest:
            read(rest)
        if not too_large and number < resume_after:  # shorter than what was stored
            raise OtherBytes(str(batch.id))
        await next_chunk()
    except LostBatch:
        raise Conflict(TAKEN_OVER) from None
    except Exception:
        # The client went away, or the database, or the bytes differ: what is stored stays
        # accounted for, and a retry with the key may resume at once.
        await run_in_threadpool(_let_go, engine, batch, clock())
        raise
    finally:
        if storing is not None:  # the last chunk, and no store left running behind an error
            try:
                await storing
            except LostBatch:
                raise Conflict(TAKEN_OVER) from None
    state = "too_large" if too_large else "stored"
    await run_in_threadpool(_finish, engine, run, state)
    return ReadBatch(state, "sha256:" + digest.hexdigest())


async def keep_digest(engine: sa.Engine, held: Claim, digest: str) -> None:
    """A streamed body's digest, known only at its end, under the batch's key."""

    def kept() -> None:
        with Session(engine) as session:
            set_digest(session, held, digest)

    await run_in_threadpool(kept)


def _let_go(engine: sa.Engine, batch: ImportBatch, now: datetime) -> None:
    with Session(engine) as session:
        let_go(session, batch, now)


def _finish(engine: sa.Engine, run: ImportRun, state: str) -> None:
    with Session(engine) as session:
        run.finish(session, state)
