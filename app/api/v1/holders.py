"""Holders: the register's people (SPEC §7)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from app.api.deps import (
    CatalogueDep,
    Cursor,
    HoldersReader,
    HoldersWriter,
    Idempotent,
    Limit,
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
from app.api.hot_reads import HOLDER_ID_PARAMETER, event_loop_postgres, json_answer, kept_client
from app.api.openapi import request_body
from app.audit.service import note
from app.clients.models import ApiClient
from app.core.errors import problem_responses
from app.core.security import Scope
from app.domain.records import PermitStatus
from app.register import reads, service
from app.register.masking import id_number_shown
from app.register.models import Holder
from app.register.schemas import (
    HolderCreate,
    HolderLookup,
    HolderPatch,
    HolderPublic,
    Page,
    PermitOut,
)
from app.register.service import as_uuid

router = APIRouter(prefix="/v1/holders", tags=["holders"])

MERGE_PATCH_TYPES = ("application/merge-patch+json", "application/json")


def holder_public(holder: Holder, client: ApiClient) -> HolderPublic:
    """The holder as answered: the ID number as the client may read it."""
    return HolderPublic(
        id=holder.id,
        jurisdiction=holder.jurisdiction,
        id_number=id_number_shown(holder.id_number, client),
        name=holder.name,
        permit=PermitOut(
            number=holder.permit_number,
            issued_on=holder.permit_issued_on,
            valid_until=holder.permit_valid_until,
            status=PermitStatus(holder.permit_status),
        ),
        created_at=holder.created_at,
        updated_at=holder.updated_at,
    )


@router.post(
    "",
    operation_id="createHolder",
    summary="Create a holder",
    status_code=status.HTTP_201_CREATED,
    response_model=HolderPublic,
    responses=problem_responses(400, 401, 403, 409, 415, 422),
    openapi_extra=request_body(HolderCreate),
)
def create_holder(
    client: HoldersWriter,
    _: Idempotent,
    session: SessionDep,
    catalogue: CatalogueDep,
    today: TodayDep,
    body: Annotated[HolderCreate, Depends(json_body(HolderCreate))],
    request: Request,
    response: Response,
) -> HolderPublic:
    note(request, jurisdictions=[body.jurisdiction])
    holder = service.create_holder(session, client, body, catalogue, today)
    note(request, holder_id=holder.id)
    response.headers["Location"] = str(request.url_for("read_holder", holder_id=holder.id))
    response.headers["ETag"] = holder.etag
    return holder_public(holder, client)


@router.get(
    "",
    operation_id="listHolders",
    summary="List holders",
    response_model=Page[HolderPublic],
    responses=problem_responses(401, 403, 422),
)
def list_holders(
    request: Request,
    client: HoldersReader,
    session: SessionDep,
    catalogue: CatalogueDep,
    today: TodayDep,
    jurisdiction: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    district: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="Current district today")
    ] = None,
    permit_status: PermitStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[HolderPublic]:
    items, next_cursor = service.list_holders(
        session,
        client,
        catalogue,
        today,
        jurisdiction=jurisdiction,
        district=district,
        permit_status=permit_status,
        limit=limit,
        cursor=cursor,
    )
    filter_ = {"jurisdiction": jurisdiction, "district": district, "permit_status": permit_status}
    shown = [jurisdiction] if jurisdiction else [h.jurisdiction for h in items]
    note(request, filter=filter_, rows=len(items), jurisdictions=shown)
    return Page(items=[holder_public(h, client) for h in items], next_cursor=next_cursor)


@router.post(
    "/lookup",
    operation_id="lookupHolder",
    summary="Look up a holder by ID number",
    response_model=HolderPublic,
    responses=problem_responses(400, 401, 403, 404, 415, 422),
    openapi_extra=request_body(HolderLookup),
)
def lookup_holder(
    client: HoldersReader,
    session: SessionDep,
    catalogue: CatalogueDep,
    body: Annotated[HolderLookup, Depends(json_body(HolderLookup))],
    request: Request,
    response: Response,
) -> HolderPublic:
    holder = service.lookup_holder(session, client, body, catalogue)
    note(request, holder_id=holder.id, jurisdictions=[holder.jurisdiction])
    response.headers["ETag"] = holder.etag
    return holder_public(holder, client)


@router.get(
    "/{holder_id}",
    operation_id="readHolder",
    summary="Read a holder",
    name="read_holder",
    response_model=HolderPublic,
    responses=problem_responses(401, 403, 404),
    openapi_extra={"parameters": [HOLDER_ID_PARAMETER]},  # read by the route itself
)
async def read_holder(request: Request) -> Response:
    # A hot read of personal data (app/api/hot_reads.py): on PostgreSQL one statement reads
    # the versions and the holder, the client is the worker's kept one.
    key = bearer_key(request)
    holder_id = as_uuid(request.path_params["holder_id"])
    postgres = event_loop_postgres(request)
    if postgres is not None:
        read = await reads.read_holder(postgres, holder_id)
        client = kept_client(request, key, read.versions)
        if client is not None:
            check_scope(client, (Scope.holders_read,))
            holder = read.holder
            seen_holder(request, client, holder_id, holder.jurisdiction if holder else None)
            assert holder is not None  # seen_holder answered 404 otherwise
            return _holder_answer(holder, client)
    return await run_in_threadpool(_read_holder_in_thread, request, key)


def _read_holder_in_thread(request: Request, key: str) -> Response:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        client = check_scope(admit(request, session, key), (Scope.holders_read,))
        holder = visible_holder(request, session, client, request.path_params["holder_id"])
    return _holder_answer(holder, client)


def _holder_answer(holder: Holder, client: ApiClient) -> Response:
    return json_answer(holder_public(holder, client), headers={"ETag": holder.etag})


@router.patch(
    "/{holder_id}",
    operation_id="updateHolder",
    summary="Update a holder's name or permit",
    response_model=HolderPublic,
    responses=problem_responses(400, 401, 403, 404, 412, 415, 422, 428),
    openapi_extra=request_body(HolderPatch, MERGE_PATCH_TYPES),
)
def update_holder(
    client: HoldersWriter,
    holder: WritableHolder,
    session: SessionDep,
    today: TodayDep,
    body: Annotated[HolderPatch, Depends(json_body(HolderPatch, MERGE_PATCH_TYPES))],
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> HolderPublic:
    holder = service.patch_holder(session, holder, body, if_match, today)
    response.headers["ETag"] = holder.etag
    return holder_public(holder, client)
