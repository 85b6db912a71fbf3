"""Endorsements: the yearly renewals that keep a permit valid (SPEC §7)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from app.api.deps import (
    CatalogueDep,
    Cursor,
    HoldersWriter,
    Idempotent,
    Limit,
    ReadableHolder,
    SessionDep,
    TodayDep,
    WritableHolder,
    json_body,
)
from app.api.openapi import request_body
from app.core.errors import problem_responses
from app.core.paging import after_seq
from app.register import records
from app.register.models import Endorsement
from app.register.schemas import EndorsementCreate, EndorsementPublic, Page

router = APIRouter(prefix="/v1/holders/{holder_id}/endorsements", tags=["records"])


@router.post(
    "",
    operation_id="createEndorsement",
    summary="Create an endorsement",
    status_code=status.HTTP_201_CREATED,
    response_model=EndorsementPublic,
    responses=problem_responses(400, 401, 403, 404, 415, 422),
    openapi_extra=request_body(EndorsementCreate),
)
def create_endorsement(
    client: HoldersWriter,
    _: Idempotent,
    holder: WritableHolder,
    session: SessionDep,
    catalogue: CatalogueDep,
    today: TodayDep,
    body: Annotated[EndorsementCreate, Depends(json_body(EndorsementCreate))],
    request: Request,
    response: Response,
) -> Endorsement:
    endorsement = records.endorse(session, holder, body, client, catalogue, today)
    response.headers["Location"] = str(
        request.url_for("read_endorsement", holder_id=holder.id, endorsement_id=endorsement.id)
    )
    return endorsement


@router.get(
    "",
    operation_id="listEndorsements",
    summary="List endorsements",
    response_model=Page[EndorsementPublic],
    responses=problem_responses(401, 403, 404, 422),
)
def list_endorsements(
    holder: ReadableHolder, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[EndorsementPublic]:
    after = after_seq(cursor)
    items, next_cursor = records.list_records(session, Endorsement, holder, limit, after)
    return Page(items=[EndorsementPublic.model_validate(e) for e in items], next_cursor=next_cursor)


@router.get(
    "/{endorsement_id}",
    operation_id="readEndorsement",
    summary="Read an endorsement",
    name="read_endorsement",
    response_model=EndorsementPublic,
    responses=problem_responses(401, 403, 404),
)
def read_endorsement(
    holder: ReadableHolder, session: SessionDep, endorsement_id: str
) -> Endorsement:
    return records.get_record(session, Endorsement, holder, endorsement_id)
