"""Jurisdictions and their policies: public law, readable with any valid key (SPEC §7)."""

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

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
from app.core.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    UnsupportedMediaType,
    errors_from_pydantic,
    problem_responses,
)
from app.core.i18n import tr, validation_message
from app.core.paging import page_by_key
from app.core.text import MESSAGE, UNSTORABLE, unstorable_fields
from app.domain.policy import Name, Policy
from app.policies import service
from app.policies.document import PolicyError, PolicyYamlLoader, parse_policy
from app.register.schemas import Page

router = APIRouter(prefix="/v1", tags=["policies"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


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


def _parse_document(request_body: bytes, media_type: str) -> Any:
    if media_type == "application/json":
        try:
            return json.loads(request_body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(
                tr("The body is not valid JSON (UTF-8).", "请求体不是有效的 JSON（UTF-8）。")
            ) from None
    if media_type in YAML_TYPES:
        try:
            return yaml.load(request_body.decode("utf-8"), Loader=PolicyYamlLoader)
        except (yaml.YAMLError, UnicodeDecodeError):
            raise BadRequest(
                tr("The body is not valid YAML (UTF-8).", "请求体不是有效的 YAML（UTF-8）。")
            ) from None
    raise UnsupportedMediaType(
        tr(
            "Send the policy as application/json or application/yaml.",
            "请以 application/json 或 application/yaml 提交政策文件。",
        )
    )


def _document_errors(document: Any, exc: PolicyError) -> list[FieldError]:
    """Why a policy document is refused, in both languages. `PolicyError` keeps pydantic's
    English sentences, so a document that fails its types is checked again for the errors
    themselves (the failing case only); the checks across fields give their own reasons."""
    if not isinstance(document, dict):
        return [FieldError(field="body", message=validation_message({"type": "model_type"}))]
    try:
        Policy.model_validate(document)
    except ValidationError as validation:
        return errors_from_pydantic(validation.errors(include_url=False))
    return [FieldError(field=f or "body", message=m) for f, m in exc.problems]


def _stated_id(document: Any) -> str | None:
    try:
        code, version = document["jurisdiction"]["code"], document["version"]
    except (TypeError, KeyError):
        return None
    return f"{code}@{version}" if isinstance(code, str) and isinstance(version, str) else None


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
    document = _parse_document(body, media_type)
    if unstorable := unstorable_fields(document):  # no stored id can hold such a text
        raise InvalidInput([FieldError(field=f or "body", message=MESSAGE) for f in unstorable])
    stated = _stated_id(document)
    stored = service.stored_document(session, stated) if stated else None
    try:
        policy = parse_policy(document, "body")
    except PolicyError as exc:
        if stored is not None:
            raise service.other_content(stated) from None
        raise InvalidInput(_document_errors(document, exc)) from None
    if stored is not None:
        if stored != policy.served():
            raise service.other_content(policy.id)
        return JSONResponse(stored, status_code=status.HTTP_200_OK)
    if not client.holds(policy.jurisdiction.code):
        raise Forbidden(
            tr(
                f"This client does not hold jurisdiction {policy.jurisdiction.code}.",
                f"此客户端无权访问辖区 {policy.jurisdiction.code}。",
            )
        )
    service.publish(session, policy)
    location = str(request.url_for("read_policy", policy_id=policy.id))
    return JSONResponse(
        policy.served(), status_code=status.HTTP_201_CREATED, headers={"Location": location}
    )
