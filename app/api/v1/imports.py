"""Bulk imports of NDJSON from other systems (SPEC §7)."""

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.api.deps import CatalogueDep, HoldersWriter, SessionDep, TodayDep
from app.audit.service import note
from app.core.errors import Conflict, UnsupportedMediaType, invalid, problem_responses
from app.core.i18n import in_language, preferred_language, tr
from app.idempotency.models import IdempotencyKey
from app.idempotency.service import replay, set_digest
from app.imports.service import (
    CHUNK_LINES,
    Chunk,
    ImportRun,
    LostBatch,
    claim_batch,
    get_report,
    let_go,
)

router = APIRouter(prefix="/v1", tags=["imports"])

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


class RejectedLine(BaseModel):
    line: int
    field: str
    message: str


class ImportReport(BaseModel):
    id: str
    state: str = Field(
        description="running, stored (every line read), too_large (stopped at the size "
        "limit), or interrupted (its run died: the same key and bytes resume it)"
    )
    lines: int
    stored: int
    rejected: list[RejectedLine]
    last_line: int | None = Field(
        None, description="While running or interrupted: every line up to it is accounted for"
    )


@router.post(
    "/imports",
    operation_id="createImport",
    summary="Create an import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportReport,
    responses={
        **problem_responses(401, 403, 409, 415, 422),
        413: {
            "description": "The body passed the import limit; the report of what was stored",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One record a line: {kind: holder, holder} or {kind: residence_period | "
            "insurance_period | adjustment, holder: {jurisdiction, id_number}, record}",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
async def create_import(
    request: Request, client: HoldersWriter, catalogue: CatalogueDep, today: TodayDep
) -> Any:
    """Each line is checked like its single-record route and stored whole or not at all; the
    batch goes on past a bad line and reports it by line number. The batch's key is its
    Idempotency-Key: a retry with the same bytes gets the first report again, and resumes a
    batch whose run was interrupted after its last stored line."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            tr("Send the batch as application/x-ndjson.", "请以 application/x-ndjson 提交批次。")
        )
    engine = request.app.state.engine
    settings = request.app.state.settings
    limit: int = request.scope.get("state", {}).get("body_limit", settings.max_import_bytes)
    lease = timedelta(seconds=settings.import_lease_seconds)
    clock = request.app.state.clock
    digest = hashlib.sha256()

    def claim() -> Any:
        with Session(engine, expire_on_commit=False) as session:
            key = request.headers.get("idempotency-key")
            return claim_batch(session, client, key, clock(), lease)

    claimed = await run_in_threadpool(claim)
    if isinstance(claimed, IdempotencyKey):  # a retry: same bytes, the first report; else 422
        async for chunk in request.stream():
            digest.update(chunk)
        raise replay(claimed, request.method, request.url.path, "sha256:" + digest.hexdigest())
    batch, request.state.idempotency = claimed

    language = preferred_language(request.headers.get("accept-language"))
    run = ImportRun(client, catalogue, today, language, batch, lease)
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
            raise _other_bytes(request, batch)

    try:
        async for chunk in request.stream():
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
            raise _other_bytes(request, batch)
        await next_chunk()
    except LostBatch:
        raise Conflict(TAKEN_OVER) from None
    except Exception:
        # The client went away, or the database: what is stored stays accounted for, and a
        # retry with the key may resume at once.
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
    note(request, jurisdictions=run.jurisdictions)
    held = request.scope.get("state", {}).get("idempotency")
    if held is not None:
        await run_in_threadpool(_set_digest, engine, held, "sha256:" + digest.hexdigest())
    report = run.report(state)
    if too_large:
        detail = tr(
            f"The batch is larger than {limit} bytes: it stopped there.",
            f"批次超过 {limit} 字节，已在此处停止。",
        )
        return JSONResponse(
            {"type": "about:blank", "title": "Content Too Large", "status": 413,
             "detail": in_language(detail, language), "report": report},
            status_code=413, media_type="application/problem+json",
        )  # fmt: skip
    location = str(request.url_for("read_import", import_id=report["id"]))
    return JSONResponse(report, status_code=201, headers={"Location": location})


TAKEN_OVER = tr(
    "A retry with this batch's Idempotency-Key resumed it; this run stopped.",
    "使用本批次幂等键的重试已接续该批次，本次运行已停止。",
)


def _let_go(engine: Any, batch: Any, now: Any) -> None:
    with Session(engine) as session:
        let_go(session, batch, now)


def _other_bytes(request: Request, batch: Any) -> Exception:
    """A retry whose lines differ from those the interrupted batch stored: 422, kept under no
    key, and the batch given back at once for a retry with the right bytes."""
    request.state.idempotency = None
    _let_go(request.app.state.engine, batch, request.app.state.clock())
    return invalid(
        "Idempotency-Key",
        tr(
            "This key was used for another request; use a new key.",
            "此幂等键已用于另一请求，请使用新的键。",
        ),
    )


def _finish(engine: Any, run: ImportRun, state: str) -> None:
    with Session(engine) as session:
        run.finish(session, state)


def _set_digest(engine: Any, held: Any, digest: str) -> None:
    with Session(engine) as session:
        set_digest(session, held, digest)


@router.get(
    "/imports/{import_id}",
    operation_id="readImport",
    summary="Read an import's report",
    name="read_import",
    response_model=ImportReport,
    responses=problem_responses(401, 403, 404),
)
def read_import(
    request: Request, client: HoldersWriter, session: SessionDep, import_id: str
) -> Any:
    return JSONResponse(get_report(session, client, import_id, request.app.state.clock()))
