"""Errors as RFC 9457 problem+json, mapped in one place.

Domain code raises the named exceptions below; `install_error_handlers` turns them, and the
framework's own errors, into problem documents. Bodies never carry values the client sent
(an ID number could be one), stack traces or SQL.
"""

import json
import logging
import traceback
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Annotated, Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError, WithJsonSchema
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import metrics
from app.core.i18n import in_language, preferred_language, tr, validation_message

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("jifen.errors")


class FieldError(BaseModel):
    field: str
    # A `Message` (English that knows its Chinese): typed loosely so that pydantic keeps it.
    message: Annotated[Any, WithJsonSchema({"type": "string"})]


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of the API answers."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiError(Exception):
    """An answer other than success, with a status and a human-readable detail."""

    status = 400

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.errors = errors
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PreconditionFailed(ApiError):
    status = 412


class PreconditionRequired(ApiError):
    status = 428


class UnsupportedMediaType(ApiError):
    status = 415


class InvalidInput(ApiError):
    """422 naming each bad field."""

    status = 422

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        names = ", ".join(e.field for e in errors)
        super().__init__(
            detail or tr(f"Invalid input: {names}.", f"输入无效：{names}。"), errors=errors
        )


def invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(field=field, message=message)])


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "permit", "valid_until")` -> `permit.valid_until`; list indexes as `[0]`."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not path:
            continue
        if part == "[key]":  # pydantic's marker for a bad mapping key: the key names it
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def errors_from_pydantic(
    errors: Sequence[Mapping[str, Any]], prefix: tuple[Any, ...] = ()
) -> list[FieldError]:
    """Each error as our sentence in both languages: pydantic's `msg` is English only and can
    quote a pattern, and its `input` would echo the client's value (maybe an ID number)."""
    return [
        FieldError(field=field_path(prefix + tuple(e["loc"])), message=validation_message(e))
        for e in errors
    ]


def problem_response(
    request: Request,
    status: int,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The problem document, its texts in the language the request prefers."""
    language = preferred_language(request.headers.get("accept-language"))
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": in_language(detail, language),
    }
    if errors is not None:
        problem["errors"] = [
            {"field": e.field, "message": in_language(e.message, language)} for e in errors
        ]
    return JSONResponse(
        problem,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def problem_body(scope: Any, status: int, detail: str) -> bytes:
    """A problem document as bytes, for answers sent below the framework (raw ASGI)."""
    headers = dict(scope.get("headers", []))
    language = preferred_language(headers.get(b"accept-language", b"").decode("latin-1"))
    problem = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": in_language(detail, language),
    }
    return json.dumps(problem, ensure_ascii=False).encode()


async def send_problem(
    scope: Any, send: Any, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Answer with a problem document from below the framework (raw ASGI middleware)."""
    body = problem_body(scope, status, detail)
    raw_headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem answers a route can give."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


INTERNAL_ERROR = tr("Internal error.", "内部错误。")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = {
            404: tr("No such resource.", "没有这个资源。"),
            405: tr("Method not allowed on this resource.", "此资源不支持该方法。"),
        }.get(exc.status_code, HTTPStatus(exc.status_code).phrase)
        headers = getattr(exc, "headers", None)
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        invalid_input = InvalidInput(errors_from_pydantic(list(exc.errors())))
        return problem_response(request, 422, invalid_input.detail, invalid_input.errors)

    @app.exception_handler(ValidationError)
    async def model_validation_error(request: Request, exc: ValidationError) -> JSONResponse:
        # A response model failing is our bug, not the client's.
        log.error("response validation failed: %s", exc.error_count())
        return problem_response(request, 500, INTERNAL_ERROR)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(psycopg.OperationalError)  # the event loop's pool (app/db/aio.py)
    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        """The database is down, or every pooled connection is busy: retry later."""
        log.error("database error: %s", type(getattr(exc, "orig", exc)).__name__)
        metrics.DATABASE_ERRORS.inc()
        detail = tr("The database is unavailable; retry later.", "数据库暂不可用，请稍后重试。")
        return problem_response(request, 503, detail, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # The message may quote SQL parameters (an ID number): log where, not what.
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled %s\n%s", type(exc).__name__, where)
        return problem_response(request, 500, INTERNAL_ERROR)
