"""Dependencies shared by the routes, as `Annotated` aliases.

Their order in a route's signature is the order of SPEC §7's status codes: authentication and
scope (401, 403), then the path (404), then the body (415, 400, 422); FastAPI resolves them in
that order, which is why bodies are parsed here and not by FastAPI before the dependencies.
"""

import uuid
from collections.abc import Callable, Coroutine, Iterator
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.audit.service import note
from app.clients.models import ApiClient
from app.clients.service import ClientCache, note_use
from app.core.config import Settings
from app.core.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    errors_from_pydantic,
)
from app.core.i18n import tr
from app.core.security import Scope
from app.core.text import json_problems, storable
from app.db.unit import UnitOfWork
from app.db.versions import CLIENTS, POLICIES, read_versions
from app.idempotency.service import (
    Claim,
    claim_in_unit,
    forget_expired,
    request_digest,
)
from app.policies.catalogue import Catalogue, builtin_catalogue
from app.policies.service import PolicyBook, PolicyCache
from app.ratelimit.service import count_request
from app.register.models import Holder
from app.register.service import as_uuid, find_holder

M = TypeVar("M", bound=BaseModel)


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, a hop that costs more than their work on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


# Requests that may write hold a unit of work; an import commits chunk by chunk instead, and
# the POSTs that only read (a simulation, a lookup: their bodies are not for a URL) are reads,
# their audit rows written by group commit like any read's (issue 18).
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
OWN_COMMITS = frozenset({"/v1/imports"})
READ_ONLY_POSTS = frozenset({"/v1/simulations", "/v1/holders/lookup"})


def get_session(request: Request) -> Iterator[Session]:
    """A read's session, or a write's: the latter's commits are savepoints of the request's
    unit of work, which `OutcomeRecorder` commits with the audit row and the idempotency
    answer before the answer leaves (one outcome, or none)."""
    path = request.url.path
    if request.method in WRITE_METHODS and path not in OWN_COMMITS | READ_ONLY_POSTS:
        unit = UnitOfWork.begin(request.app.state.engine)
        request.scope.setdefault("state", {})["unit"] = unit
        with unit.session() as session:
            yield session
        return
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


# Closed when the route function returns, before the answer is sent. A read's connection is
# back in the pool before its audit row is written; a write's unit keeps its one connection
# until the recorder commits (a second connection per request would starve the pool).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_today(settings: SettingsDep) -> date:
    return settings.today()


TodayDep = Annotated[date, Depends(get_today)]


def request_versions(request: Request, session: Session) -> dict[str, int]:
    """The versions of what workers keep in memory, read once per request (issue 18)."""
    versions: dict[str, int] | None = getattr(request.state, "versions", None)
    if versions is None:
        versions = request.state.versions = read_versions(session.connection())
    return versions


def get_policy_book(request: Request, session: SessionDep) -> PolicyBook:
    cache: PolicyCache = request.app.state.policy_cache
    return cache.get(session, request_versions(request, session).get(POLICIES))


PolicyBookDep = Annotated[PolicyBook, Depends(get_policy_book)]


def get_catalogue(book: PolicyBookDep, today: TodayDep) -> Catalogue:
    return catalogue_of(book, today)


def catalogue_of(book: PolicyBook, today: date) -> Catalogue:
    """The published policies, or the built-in table while none is loaded (SPEC §4)."""
    return book.catalogue(today) if book.by_id else builtin_catalogue()


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]


def bearer_key(request: Request) -> str:
    """The request's API key (401 without one)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(
            tr(
                "An API key is needed: Authorization: Bearer <key>.",
                "需要 API 密钥：Authorization: Bearer <key>。",
            )
        )
    return key.strip()


def admit(request: Request, session: Session, key: str) -> ApiClient:
    """The client of the key (401 unknown, expired or revoked), its use noted, and its rate
    limit counted (429); through the worker's kept clients, checked against the version."""
    now = request.app.state.clock()
    clients: ClientCache = request.app.state.client_cache
    version = request_versions(request, session).get(CLIENTS)
    client = clients.authenticate(session, key, now, version)
    if client is None:
        raise Unauthorized(
            tr(
                "The API key is not valid (unknown, expired or revoked).",
                "API 密钥无效（未知、过期或已吊销）。",
            )
        )
    # In the request's own transaction: once a minute a client's requests wait briefly on
    # this row, which is cheaper than a second connection for every request.
    note_use(session, client, now)
    admitted(request, client)
    settings: Settings = request.app.state.settings
    if settings.rate_limit_per_minute > 0:
        # On the request's own connection: a second one would wait for the write lock this
        # request's unit of work holds (SQLite) or double the pool's load (PostgreSQL). Inside
        # a unit the count is seen by other workers when it commits, and a client's concurrent
        # writes wait on its window's row meanwhile.
        count_request(session, client.id, settings.rate_limit_per_minute, now)
    return client


def admitted(request: Request, client: ApiClient) -> ApiClient:
    """The client named on the request (its log line and audit row)."""
    request.state.client_name = client.name
    request.state.client_id = client.id
    return client


def check_scope(client: ApiClient, scopes: tuple[Scope, ...]) -> ApiClient:
    """403 unless the client has one of `scopes` (none given: any valid key)."""
    if scopes and client.scope_set.isdisjoint(scopes):
        names = " or ".join(s.value for s in scopes)
        raise Forbidden(tr(f"This client lacks the scope {names}.", f"此客户端缺少权限 {names}。"))
    return client


def _authenticated(request: Request, session: SessionDep) -> ApiClient:
    return admit(request, session, bearer_key(request))


def require(*scopes: Scope) -> Callable[..., Coroutine[Any, Any, ApiClient]]:
    """A dependency that authenticates the caller and checks that it has one of `scopes`
    (none given: any valid key)."""

    async def dependency(client: Annotated[ApiClient, Depends(_authenticated)]) -> ApiClient:
        return check_scope(client, scopes)

    return dependency


AnyClient = Annotated[ApiClient, Depends(require())]
HoldersReader = Annotated[ApiClient, Depends(require(Scope.holders_read))]
HoldersWriter = Annotated[ApiClient, Depends(require(Scope.holders_write))]
ScoresReader = Annotated[ApiClient, Depends(require(Scope.scores_read))]
PolicyWriter = Annotated[ApiClient, Depends(require(Scope.policies_write))]
AuditReader = Annotated[ApiClient, Depends(require(Scope.audit_read))]
# The impact of a draft: those who simulate policies, and those who publish them.
PolicySimulator = Annotated[
    ApiClient, Depends(require(Scope.policies_simulate, Scope.policies_write))
]


async def idempotent(request: Request, session: SessionDep) -> None:
    """SPEC §7: take the request's Idempotency-Key right after authentication and scope, in
    the request's unit of work; a retry gets the first answer again (see `OutcomeRecorder`)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    digest = request_digest(await request.body(), media_type)
    now = request.app.state.clock()

    def take() -> Claim:
        forget_expired(session, now)
        return claim_in_unit(
            session, request.state.client_id, key, request.method, request.url.path, digest, now
        )

    request.state.idempotency = await run_in_threadpool(take)


Idempotent = Annotated[None, Depends(idempotent)]


def visible_holder(request: Request, session: Session, client: ApiClient, holder_id: str) -> Holder:
    """The holder of the path, noted for the audit row; 404 when the client may not see it."""
    key = as_uuid(holder_id)
    holder = find_holder(session, key)
    seen_holder(request, client, key, holder.jurisdiction if holder else None)
    assert holder is not None  # seen_holder answered 404 otherwise
    return holder


def seen_holder(
    request: Request, client: ApiClient, holder_id: uuid.UUID | None, jurisdiction: str | None
) -> uuid.UUID:
    """The holder read for the path (`jurisdiction` None: none was found), noted for the
    audit row; 404 when there is none the client may see: nothing says a person exists
    elsewhere (SPEC §7)."""
    if holder_id is None or jurisdiction is None or not client.holds(jurisdiction):
        raise NotFound(tr("No such holder.", "没有这个持证人。"))
    note(request, holder_id=holder_id, jurisdictions=[jurisdiction])
    return holder_id


def readable_holder(
    request: Request, client: HoldersReader, session: SessionDep, holder_id: Annotated[str, Path()]
) -> Holder:
    return visible_holder(request, session, client, holder_id)


def writable_holder(
    request: Request, client: HoldersWriter, session: SessionDep, holder_id: Annotated[str, Path()]
) -> Holder:
    return visible_holder(request, session, client, holder_id)


def scorable_holder(
    request: Request, client: ScoresReader, session: SessionDep, holder_id: Annotated[str, Path()]
) -> Holder:
    return visible_holder(request, session, client, holder_id)


def held_jurisdiction(client: ApiClient, catalogue: Catalogue, code: str) -> str:
    """A jurisdiction named in the path: 404 when unknown, then 403 when the client does not
    hold it (SPEC §7, step 2: before the query's or the body's 422)."""
    if not catalogue.known(code):
        raise NotFound(tr("No such jurisdiction.", "没有这个辖区。"))
    if not client.holds(code):
        raise Forbidden(
            tr(f"This client does not hold jurisdiction {code}.", f"此客户端无权访问辖区 {code}。")
        )
    return code


ReadableHolder = Annotated[Holder, Depends(readable_holder)]
WritableHolder = Annotated[Holder, Depends(writable_holder)]
ScorableHolder = Annotated[Holder, Depends(scorable_holder)]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1 to 500")]
# Free text in a query: refused (422) when the database could not hold it.
QueryText = AfterValidator(storable)
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="Opaque: the next_cursor of the page before"),
    QueryText,
]

JSON_TYPES = ("application/json",)


async def raw_body(request: Request) -> bytes:
    """The body as bytes, for routes that take more than JSON (read after the path checks)."""
    return await request.body()


def json_body(model: type[M], media_types: tuple[str, ...] = JSON_TYPES) -> Callable[..., Any]:
    """Parse and validate the body as `model`: 415 for another media type, 400 for a body that
    does not parse, 422 naming each bad field. An empty body is `{}`."""

    async def dependency(request: Request) -> M:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if raw and media_type not in media_types:
            raise UnsupportedMediaType(
                tr(
                    f"Send the body as {' or '.join(media_types)}.",
                    f"请以 {' 或 '.join(media_types)} 提交请求体。",
                )
            )
        if problems := json_problems(raw):
            raise InvalidInput(problems)
        try:
            return model.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            errors = exc.errors()
            if any(e["type"] == "json_invalid" for e in errors):
                raise BadRequest(
                    tr("The body is not valid JSON (UTF-8).", "请求体不是有效的 JSON（UTF-8）。")
                ) from None
            raise InvalidInput(errors_from_pydantic(list(errors))) from None

    dependency.__body_model__ = model  # type: ignore[attr-defined]
    return dependency
