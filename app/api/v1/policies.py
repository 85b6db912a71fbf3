"""Jurisdictions and their policies: public law, readable with any valid key (SPEC §7)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.deps import (
    AnyClient,
    CatalogueDep,
    Cursor,
    Idempotent,
    Limit,
    PolicyBookDep,
    PolicyWriter,
    SessionDep,
    raw_body,
)
from app.core.errors import NotFound, problem_responses
from app.core.i18n import tr
from app.core.paging import page_by_key
from app.core.text import UNSTORABLE
from app.domain.policy import Name
from app.policies import service
from app.policies.publishing import YAML_TYPES, publish_document
from app.register.schemas import Page

router = APIRouter(prefix="/v1", tags=["policies"])


class DistrictAnswer(BaseModel):
    code: str
    name: Name


class JurisdictionAnswer(BaseModel):
    code: str
    name: Name
    districts: list[DistrictAnswer]


class PolicySummary(BaseModel):
    id: str
    version: str
    effective_from: str
    effective_to: str | None


@router.get(
    "/jurisdictions",
    operation_id="listJurisdictions",
    summary="List jurisdictions",
    response_model=Page[JurisdictionAnswer],
    responses=problem_responses(401, 403, 422),
)
def list_jurisdictions(
    client: AnyClient, catalogue: CatalogueDep, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    items = [
        {"code": j.code, "name": j.name, "districts": j.districts}
        for j in sorted(catalogue.jurisdictions.values(), key=lambda j: j.code)
    ]
    return page_by_key(items, "code", limit, cursor)


@router.get(
    "/jurisdictions/{code}/policies",
    operation_id="listPolicies",
    summary="List a jurisdiction's policies",
    response_model=Page[PolicySummary],
    responses=problem_responses(401, 403, 404, 422),
)
def list_policies(
    client: AnyClient,
    catalogue: CatalogueDep,
    book: PolicyBookDep,
    code: str,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    if not catalogue.known(code):
        raise NotFound(tr("No such jurisdiction.", "没有这个辖区。"))
    items = [
        {
            "id": p.id,
            "version": p.version,
            "effective_from": p.effective_from.isoformat(),
            "effective_to": p.effective_to.isoformat() if p.effective_to else None,
        }
        for p in book.by_jurisdiction.get(code, [])
    ]
    return page_by_key(items, "effective_from", limit, cursor)


@router.get(
    "/policies/{policy_id}",
    operation_id="readPolicy",
    summary="Read a policy",
    responses={
        200: {"description": "The policy document (docs/policy-format.md) as JSON"},
        **problem_responses(401, 403, 404),
    },
)
def read_policy(client: AnyClient, session: SessionDep, policy_id: str) -> Any:
    # An id no database could hold names no policy (and PostgreSQL would refuse the query).
    document = None if UNSTORABLE.search(policy_id) else service.stored_document(session, policy_id)
    if document is None:
        raise NotFound(tr("No such policy.", "没有这个政策版本。"))
    return JSONResponse(document)


@router.post(
    "/policies",
    operation_id="publishPolicy",
    summary="Publish a policy",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "Published: the document as served"},
        200: {"description": "The same document was published already"},
        **problem_responses(400, 401, 403, 409, 415, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {
                    "schema": {
                        "type": "object",
                        "description": "A policy document (docs/policy-format.md)",
                    }
                }
                for t in ("application/json", *YAML_TYPES)
            },
        }
    },
)
def publish_policy(
    client: PolicyWriter,
    _: Idempotent,
    session: SessionDep,
    body: Annotated[bytes, Depends(raw_body)],
    request: Request,
) -> Any:
    """Publish a new policy version. A stored id is compared right after the body parses (200
    the same document, 409 other content, valid or not); only a new id goes on to validation
    (422), the jurisdiction (403) and publication (422 when back-dated or a case fails)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    published = publish_document(session, client, body, media_type)
    if not published.created:
        return JSONResponse(published.document, status_code=status.HTTP_200_OK)
    location = str(request.url_for("read_policy", policy_id=published.policy_id))
    return JSONResponse(
        published.document, status_code=status.HTTP_201_CREATED, headers={"Location": location}
    )
