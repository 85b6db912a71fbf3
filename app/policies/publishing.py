"""Publishing a policy document sent over the API (SPEC §5, §7): parse the body, compare it
with a version stored under its id, check it and the client's jurisdiction, then publish (its
own cases run first: `service.publish`)."""

import json
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from sqlmodel import Session

from app.clients.models import ApiClient
from app.core.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    InvalidInput,
    UnsupportedMediaType,
    errors_from_pydantic,
)
from app.core.i18n import tr, validation_message
from app.core.text import MESSAGE, unstorable_fields
from app.domain.policy import Policy
from app.policies import service
from app.policies.document import PolicyError, PolicyYamlLoader, parse_policy

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


@dataclass(frozen=True)
class Publication:
    """A document as served, under its id; `created` is False when the same document was
    published already (a replay, answered 200)."""

    policy_id: str
    document: dict[str, Any]
    created: bool


def publish_document(
    session: Session, client: ApiClient, body: bytes, media_type: str
) -> Publication:
    """Publish a new policy version from a request body. A stored id is compared right after
    the body parses (the same document again, or 409 for other content, valid or not); only a
    new id goes on to validation (422), the jurisdiction (403) and publication (422 when
    back-dated or a case fails)."""
    document = parse_document(body, media_type)
    if unstorable := unstorable_fields(document):  # no stored id can hold such a text
        raise InvalidInput([FieldError(field=f or "body", message=MESSAGE) for f in unstorable])
    stated = stated_id(document)
    stored = service.stored_document(session, stated) if stated else None
    try:
        policy = parse_policy(document, "body")
    except PolicyError as exc:
        if stored is not None and stated is not None:
            raise service.other_content(stated) from None
        raise InvalidInput(document_errors(document, exc)) from None
    if stored is not None:
        if stored != policy.served():
            raise service.other_content(policy.id)
        return Publication(policy.id, stored, created=False)
    if not client.holds(policy.jurisdiction.code):
        raise Forbidden(
            tr(
                f"This client does not hold jurisdiction {policy.jurisdiction.code}.",
                f"此客户端无权访问辖区 {policy.jurisdiction.code}。",
            )
        )
    service.publish(session, policy)
    return Publication(policy.id, policy.served(), created=True)


def parse_document(body: bytes, media_type: str) -> Any:
    """The body as JSON or YAML: 415 for another media type, 400 when it does not parse."""
    if media_type == "application/json":
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(
                tr("The body is not valid JSON (UTF-8).", "请求体不是有效的 JSON（UTF-8）。")
            ) from None
    if media_type in YAML_TYPES:
        try:
            return yaml.load(body.decode("utf-8"), Loader=PolicyYamlLoader)
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


def document_errors(document: Any, exc: PolicyError) -> list[FieldError]:
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


def stated_id(document: Any) -> str | None:
    """The id a document names (`code@version`), before it is known to be valid."""
    try:
        code, version = document["jurisdiction"]["code"], document["version"]
    except (TypeError, KeyError):
        return None
    return f"{code}@{version}" if isinstance(code, str) and isinstance(version, str) else None
