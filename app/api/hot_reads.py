"""What the hot reads of personal data share (issue 18): a score, a holder, a page of its
records and a simulation are served on the event loop, without FastAPI's dependencies.

On PostgreSQL one statement on the async pool reads the cache versions with the request's own
data; the client comes from the worker's memory while its version stands, and the route checks
SPEC §7's statuses in their order itself (401, 403, 404, then the query's 422). A client the
worker does not keep yet (or whose use is to be noted), a rate limit to count, and SQLite take
the engine's path in a thread instead, through the same functions as every other route.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.api.deps import Cursor, Limit, admitted
from app.clients.models import ApiClient
from app.clients.service import ClientCache
from app.core.errors import FieldError, InvalidInput, errors_from_pydantic
from app.core.paging import after_seq
from app.db.aio import AsyncPostgres
from app.db.versions import CLIENTS


def event_loop_postgres(request: Request) -> AsyncPostgres | None:
    """PostgreSQL's async pool, when a read may be served on the event loop: not on SQLite,
    and not while requests are rate limited (their count is a write, in the engine's path)."""
    state = request.app.state
    postgres: AsyncPostgres | None = state.postgres
    return postgres if state.settings.rate_limit_per_minute == 0 else None


def kept_client(request: Request, key: str, versions: dict[str, int]) -> ApiClient | None:
    """The key's client from the worker's memory, when its version stands and nothing is to
    be written for it; None: take the engine's path. Found, it is named on the request (its
    log line, its audit row): ask once nothing else can send the request that way."""
    cache: ClientCache = request.app.state.client_cache
    client = cache.kept(key, request.app.state.clock(), versions.get(CLIENTS))
    return None if client is None else admitted(request, client)


def json_answer(answer: BaseModel, headers: dict[str, str] | None = None) -> Response:
    return Response(answer.model_dump_json(), media_type="application/json", headers=headers)


_LIMIT: TypeAdapter[int] = TypeAdapter(Limit)
_CURSOR: TypeAdapter[str | None] = TypeAdapter(Cursor)
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageAsked:
    """A list's `limit` and `cursor`, read before the statement that uses them; a bad one is
    answered only after the holder is found (SPEC §7: the query's 422 comes after the 404)."""

    limit: int
    after: int  # the insertion sequence after which the page starts
    problem: InvalidInput | None

    def check(self) -> None:
        if self.problem is not None:
            raise self.problem


def page_asked(request: Request) -> PageAsked:
    errors: list[FieldError] = []
    limit, cursor = DEFAULT_LIMIT, None
    query = request.query_params
    try:  # as FastAPI reads a query parameter: validated when given
        if "limit" in query:
            limit = _LIMIT.validate_python(query["limit"])
    except ValidationError as exc:
        errors += errors_from_pydantic(exc.errors(), ("query", "limit"))
    try:
        if "cursor" in query:
            cursor = _CURSOR.validate_python(query["cursor"])
    except ValidationError as exc:
        errors += errors_from_pydantic(exc.errors(), ("query", "cursor"))
    if errors:
        return PageAsked(DEFAULT_LIMIT, 0, InvalidInput(errors))
    try:
        return PageAsked(limit, after_seq(cursor), None)
    except InvalidInput as problem:
        return PageAsked(DEFAULT_LIMIT, 0, problem)


# The parameters the routes read themselves, documented as FastAPI documents its own.
HOLDER_ID_PARAMETER: dict[str, Any] = {
    "in": "path",
    "name": "holder_id",
    "required": True,
    "schema": {"title": "Holder Id", "type": "string"},
}
PAGE_PARAMETERS: list[dict[str, Any]] = [
    {
        "description": "Page size, 1 to 500",
        "in": "query",
        "name": "limit",
        "required": False,
        "schema": {
            "default": DEFAULT_LIMIT,
            "description": "Page size, 1 to 500",
            "maximum": 500,
            "minimum": 1,
            "title": "Limit",
            "type": "integer",
        },
    },
    {
        "description": "Opaque: the next_cursor of the page before",
        "in": "query",
        "name": "cursor",
        "required": False,
        "schema": {
            "anyOf": [{"maxLength": 200, "type": "string"}, {"type": "null"}],
            "description": "Opaque: the next_cursor of the page before",
            "title": "Cursor",
        },
    },
]
