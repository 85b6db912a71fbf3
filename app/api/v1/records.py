"""A holder's records: residence periods, insurance periods and adjustments (SPEC §4, §7).

The three collections behave alike (create, list, read, delete), so one function builds each
router from its kind; what differs (the check before storing, the public shape) is passed in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session

from app.api.deps import (
    CatalogueDep,
    HoldersWriter,
    Idempotent,
    ReadableHolder,
    SessionDep,
    TodayDep,
    WritableHolder,
    admit,
    bearer_key,
    check_scope,
    json_body,
    seen_holder,
    visible_holder,
)
from app.api.hot_reads import (
    HOLDER_ID_PARAMETER,
    PAGE_PARAMETERS,
    PageAsked,
    event_loop_postgres,
    json_answer,
    kept_client,
    page_asked,
)
from app.api.openapi import request_body
from app.core.errors import problem_responses
from app.core.paging import page_of
from app.core.security import Scope
from app.domain.calendar import Month
from app.register import reads, records
from app.register.models import Adjustment, InsurancePeriod, ResidencePeriod
from app.register.schemas import (
    AdjustmentCreate,
    AdjustmentPublic,
    InsurancePeriodCreate,
    InsurancePeriodPublic,
    Page,
    ResidencePeriodCreate,
    ResidencePeriodPublic,
)
from app.register.service import as_uuid


def _insurance_public(period: InsurancePeriod) -> InsurancePeriodPublic:
    return InsurancePeriodPublic(
        id=period.id,
        district=period.district,
        type=period.type,  # type: ignore[arg-type]
        start_month=str(Month.of(period.start_month)),
        end_month=str(Month.of(period.end_month)) if period.end_month else None,
        source=period.source,
    )


@dataclass(frozen=True)
class RecordKind:
    path: str  # residence-periods
    singular: str  # ResidencePeriod, for operation ids
    plural: str
    one: str  # "a residence period", for operation summaries
    many: str  # "residence periods"
    model: type[Any]
    create_schema: type[BaseModel]
    public_schema: type[BaseModel]
    public: Callable[[Any], BaseModel]


KINDS = [
    RecordKind(
        "residence-periods", "ResidencePeriod", "ResidencePeriods",
        "a residence period", "residence periods", ResidencePeriod,
        ResidencePeriodCreate, ResidencePeriodPublic, ResidencePeriodPublic.model_validate,
    ),
    RecordKind(
        "insurance-periods", "InsurancePeriod", "InsurancePeriods",
        "an insurance period", "insurance periods", InsurancePeriod,
        InsurancePeriodCreate, InsurancePeriodPublic, _insurance_public,
    ),
    RecordKind(
        "adjustments", "Adjustment", "Adjustments",
        "an adjustment", "adjustments", Adjustment,
        AdjustmentCreate, AdjustmentPublic, AdjustmentPublic.model_validate,
    ),
]  # fmt: skip


def records_router(kind: RecordKind) -> APIRouter:
    router = APIRouter(prefix="/v1/holders/{holder_id}/" + kind.path, tags=["records"])
    public_schema: Any = kind.public_schema
    read_name = f"read_{kind.singular}"

    @router.post(
        "",
        operation_id=f"create{kind.singular}",
        summary=f"Create {kind.one}",
        status_code=status.HTTP_201_CREATED,
        response_model=public_schema,
        responses=problem_responses(400, 401, 403, 404, 415, 422),
        openapi_extra=request_body(kind.create_schema),
    )
    def create(
        client: HoldersWriter,
        _: Idempotent,
        holder: WritableHolder,
        session: SessionDep,
        catalogue: CatalogueDep,
        today: TodayDep,
        body: Annotated[Any, Depends(json_body(kind.create_schema))],
        request: Request,
        response: Response,
    ) -> Any:
        record = records.add_record(session, holder, body, catalogue, today)
        response.headers["Location"] = str(
            request.url_for(read_name, holder_id=holder.id, record_id=record.id)
        )
        return kind.public(record)

    page_schema: Any = Page[public_schema]

    def page_answer(items: list[Any], next_cursor: str | None) -> Response:
        page = page_schema(items=[kind.public(r) for r in items], next_cursor=next_cursor)
        return json_answer(page)

    def list_in_thread(request: Request, key: str, page: PageAsked) -> Response:
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            client = check_scope(admit(request, session, key), (Scope.holders_read,))
            holder = visible_holder(request, session, client, request.path_params["holder_id"])
            page.check()
            items, next_cursor = records.list_records(
                session, kind.model, holder, page.limit, page.after
            )
        return page_answer(items, next_cursor)

    @router.get(
        "",
        operation_id=f"list{kind.plural}",
        summary=f"List {kind.many}",
        response_model=page_schema,
        responses=problem_responses(401, 403, 404, 422),
        openapi_extra={"parameters": [HOLDER_ID_PARAMETER, *PAGE_PARAMETERS]},
    )
    async def list_(request: Request) -> Response:
        # A hot read of personal data (app/api/hot_reads.py): on PostgreSQL one statement
        # reads the versions, the holder and the page, the client is the worker's kept one.
        key = bearer_key(request)
        holder_id = as_uuid(request.path_params["holder_id"])
        page = page_asked(request)
        postgres = event_loop_postgres(request)
        if postgres is not None:
            read = await reads.read_records(
                postgres, kind.model, holder_id, page.after, page.limit + 1
            )
            client = kept_client(request, key, read.versions)
            if client is not None:
                check_scope(client, (Scope.holders_read,))
                seen_holder(request, client, holder_id, read.jurisdiction)
                page.check()
                return page_answer(*page_of(read.records, page.limit))
        return await run_in_threadpool(list_in_thread, request, key, page)

    @router.get(
        "/{record_id}",
        operation_id=f"read{kind.singular}",
        summary=f"Read {kind.one}",
        name=read_name,
        response_model=public_schema,
        responses=problem_responses(401, 403, 404),
    )
    def read(holder: ReadableHolder, session: SessionDep, record_id: str) -> Any:
        return kind.public(records.get_record(session, kind.model, holder, record_id))

    @router.delete(
        "/{record_id}",
        operation_id=f"delete{kind.singular}",
        summary=f"Delete {kind.one}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        responses=problem_responses(401, 403, 404),
    )
    def delete(holder: WritableHolder, session: SessionDep, record_id: str) -> Response:
        records.delete_record(session, records.get_record(session, kind.model, holder, record_id))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


routers = [records_router(kind) for kind in KINDS]
