"""Bulk imports of NDJSON from other systems (SPEC §7)."""

import asyncio
import hashlib
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.api.deps import CatalogueDep, HoldersWriter, SessionDep, TodayDep
from app.audit.service import note
from app.core.errors import UnsupportedMediaType, problem_responses
from app.core.i18n import in_language, preferred_language, tr
from app.idempotency.models import IdempotencyKey
from app.idempotency.service import replay, set_digest, take_key
from app.imports.service import CHUNK_LINES, Chunk, ImportRun, get_report

router = APIRouter(prefix="/v1", tags=["imports"])

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


class RejectedLine(BaseModel):
    line: int
    field: str
    message: str


class ImportReport(BaseModel):
    id: str
    lines: int
    stored: int
    rejected: list[RejectedLine]


@router.post(
    "/imports",
    operation_id="createImport",
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
    Idempotency-Key: a retry with the same bytes gets the first report again."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            tr("Send the batch as application/x-ndjson.", "请以 application/x-ndjson 提交批次。")
        )
    engine = request.app.state.engine
    limit: int = request.scope.get("state", {}).get(
        "body_limit", request.app.state.settings.max_import_bytes
    )
    digest = hashlib.sha256()
    first = await _take_batch_key(request)
    if first is not None:  # a retry: same bytes, the first report; other bytes, 422
        async for chunk in request.stream():
            digest.update(chunk)
        raise replay(first, request.method, request.url.path, "sha256:" + digest.hexdigest())

    language = preferred_language(request.headers.get("accept-language"))
    run = ImportRun(client, catalogue, today, language)
    raw_lines: list[tuple[int, bytes]] = []
    number, size, rest, too_large = 0, 0, b"", False
    # The last chunk's store runs while the next chunk is prepared: the database's time
    # checking keys and indexes overlaps the parsing (one chunk stored at a time, in order).
    storing: asyncio.Future[None] | None = None

    def prepare(lines: list[tuple[int, bytes]]) -> Chunk:
        with Session(engine) as session:
            return run.prepare(session, lines)

    def store(chunk: Chunk) -> None:
        with Session(engine) as session:
            run.store(session, chunk)

    async def next_chunk(lines: list[tuple[int, bytes]]) -> None:
        nonlocal storing
        chunk = await run_in_threadpool(prepare, lines)
        if storing is not None:
            await storing
        storing = asyncio.ensure_future(run_in_threadpool(store, chunk))

    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                too_large = True
                break
            digest.update(chunk)
            *complete, rest = (rest + chunk).split(b"\n")
            for raw in complete:
                number += 1
                if raw.strip():
                    raw_lines.append((number, raw))
            if len(raw_lines) >= CHUNK_LINES:
                await next_chunk(raw_lines)
                raw_lines = []
        if not too_large and rest.strip():
            number += 1
            raw_lines.append((number, rest))
        await next_chunk(raw_lines)
    finally:
        if storing is not None:  # the last chunk, and no store left running behind an error
            await storing
    await run_in_threadpool(_save, engine, run, not too_large)
    note(request, jurisdictions=run.jurisdictions)
    held = request.scope.get("state", {}).get("idempotency")
    if held is not None:
        await run_in_threadpool(_set_digest, engine, held, "sha256:" + digest.hexdigest())
    report = run.report()
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


async def _take_batch_key(request: Request) -> IdempotencyKey | None:
    """Take the batch's Idempotency-Key before reading it (409 while its first run goes on);
    the digest of the bytes is recorded when they have all been read."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None

    def take() -> Any:
        with Session(request.app.state.engine) as session:
            return take_key(
                session, request.state.client_id, key, request.method, request.url.path,
                "streaming", request.app.state.clock(),
            )  # fmt: skip

    taken = await run_in_threadpool(take)
    if isinstance(taken, IdempotencyKey):
        return taken
    request.state.idempotency = taken
    return None


def _save(engine: Any, run: ImportRun, complete: bool) -> None:
    with Session(engine, expire_on_commit=False) as session:
        run.save(session, complete)


def _set_digest(engine: Any, held: Any, digest: str) -> None:
    with Session(engine) as session:
        set_digest(session, held, digest)


@router.get(
    "/imports/{import_id}",
    operation_id="readImport",
    name="read_import",
    response_model=ImportReport,
    responses=problem_responses(401, 403, 404),
)
def read_import(client: HoldersWriter, session: SessionDep, import_id: str) -> Any:
    return JSONResponse(get_report(session, client, import_id))
