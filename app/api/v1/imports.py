"""Bulk imports of NDJSON from other systems (SPEC §7)."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from app.api.deps import CatalogueDep, HoldersWriter, SessionDep, TodayDep
from app.audit.service import note
from app.core.errors import UnsupportedMediaType, invalid, problem_responses
from app.core.i18n import in_language, preferred_language, tr
from app.idempotency.models import IdempotencyKey
from app.idempotency.service import replay
from app.imports.pipeline import OtherBytes, body_digest, claim, keep_digest, read_batch
from app.imports.run import ImportRun
from app.imports.schemas import ImportReport
from app.imports.service import get_report

router = APIRouter(prefix="/v1", tags=["imports"])

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


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
    request: Request,
    response: Response,
    client: HoldersWriter,
    catalogue: CatalogueDep,
    today: TodayDep,
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

    key = request.headers.get("idempotency-key")
    claimed = await claim(engine, client, key, clock(), lease)
    if isinstance(claimed, IdempotencyKey):  # a retry: same bytes, the first report; else 422
        digest = await body_digest(request.stream())
        raise replay(claimed, request.method, request.url.path, digest)
    batch, request.state.idempotency = claimed

    language = preferred_language(request.headers.get("accept-language"))
    run = ImportRun(client, catalogue, today, language, batch, lease)
    try:
        read = await read_batch(engine, clock, run, request.stream(), limit)
    except OtherBytes:
        request.state.idempotency = None  # kept under no key
        raise invalid(
            "Idempotency-Key",
            tr(
                "This key was used for another request; use a new key.",
                "此幂等键已用于另一请求，请使用新的键。",
            ),
        ) from None
    note(request, jurisdictions=run.jurisdictions)
    held = request.scope.get("state", {}).get("idempotency")
    if held is not None:
        await keep_digest(engine, held, read.digest)
    report = run.report(read.state)
    if read.state == "too_large":
        detail = tr(
            f"The batch is larger than {limit} bytes: it stopped there.",
            f"批次超过 {limit} 字节，已在此处停止。",
        )
        return JSONResponse(
            {"type": "about:blank", "title": "Content Too Large", "status": 413,
             "detail": in_language(detail, language), "report": report},
            status_code=413, media_type="application/problem+json",
        )  # fmt: skip
    response.headers["Location"] = str(request.url_for("read_import", import_id=report["id"]))
    return ImportReport.model_validate(report)


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
) -> ImportReport:
    return ImportReport.model_validate(
        get_report(session, client, import_id, request.app.state.clock())
    )
