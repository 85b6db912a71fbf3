"""Scores, simulations and assessments (SPEC §7)."""

import uuid
from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from app.api.deps import (
    Idempotent,
    PolicyBookDep,
    ScorableHolder,
    ScoresReader,
    SessionDep,
    TodayDep,
    admit,
    bearer_key,
    catalogue_of,
    check_scope,
    json_body,
    request_versions,
    seen_holder,
)
from app.api.hot_reads import HOLDER_ID_PARAMETER, event_loop_postgres, json_answer, kept_client
from app.api.openapi import request_body
from app.audit.service import note
from app.clients.models import ApiClient
from app.core.errors import InvalidInput, errors_from_pydantic, problem_responses
from app.core.security import Scope
from app.db.versions import POLICIES
from app.engine.answer import ScoreAnswer
from app.policies.service import PolicyBook, PolicyCache
from app.register.service import as_uuid
from app.scoring import service
from app.scoring.schemas import AssessmentAnswer, AssessmentCreate, SimulationRequest

router = APIRouter(prefix="/v1", tags=["scores"])


AS_OF_PARAMETER = {
    "description": "Default: today",
    "in": "query",
    "name": "as_of",
    "required": False,
    "schema": {
        "anyOf": [{"format": "date", "type": "string"}, {"type": "null"}],
        "description": "Default: today",
        "title": "As Of",
    },
}
DATE = TypeAdapter(date)


@router.get(
    "/holders/{holder_id}/score",
    operation_id="readScore",
    summary="Read a holder's score",
    response_model=ScoreAnswer,
    responses=problem_responses(401, 403, 404, 422),
    # Both parameters are read by the route itself (no parameter for FastAPI to solve on
    # every score), `as_of` after the key and the holder (SPEC §7's order).
    openapi_extra={"parameters": [HOLDER_ID_PARAMETER, AS_OF_PARAMETER]},
)
async def read_score(request: Request) -> Response:
    # The path of a mobile app's every screen (issue 18), without dependencies: one statement
    # reads the cache versions, the holder and its records; the client and the policies come
    # from the worker's memory while their versions stand. On PostgreSQL it all happens on the
    # event loop, concurrent scores read together; a client or policies not kept yet (or a use
    # to note, a rate to count) take the engine's path in a thread, as SQLite always does.
    key = bearer_key(request)
    holder_id = as_uuid(request.path_params["holder_id"])  # None: no UUID, so no holder
    state = request.app.state
    if event_loop_postgres(request) is not None:
        read = await state.score_reads.submit(holder_id)
        if kept := _kept_client_and_book(request, key, read.versions):
            client, book = kept
            return _score(request, client, holder_id, read, book)
    return await run_in_threadpool(_read_and_score, request, key, holder_id)


def _kept_client_and_book(
    request: Request, key: str, versions: dict[str, int]
) -> tuple[ApiClient, PolicyBook] | None:
    """The client and the policy book from the worker's memory when it keeps both (the
    client named on the request only then); None: take the engine's path."""
    book = request.app.state.policy_cache.kept(versions.get(POLICIES))
    client = kept_client(request, key, versions) if book is not None else None
    return None if client is None else (client, book)


def _read_and_score(request: Request, key: str, holder_id: uuid.UUID | None) -> Response:
    with Session(request.app.state.single_statement_engine, expire_on_commit=False) as session:
        read = service.read_for_score(session.connection(), holder_id)
        request.state.versions = read.versions
        client = admit(request, session, key)
        policies: PolicyCache = request.app.state.policy_cache
        book = policies.get(session, read.versions.get(POLICIES))
    return _score(request, client, holder_id, read, book)


def _score(
    request: Request,
    client: ApiClient,
    holder_id: uuid.UUID | None,
    read: service.ScoreRead,
    book: PolicyBook,
) -> Response:
    check_scope(client, (Scope.scores_read,))
    holder_id = seen_holder(request, client, holder_id, read.jurisdiction)
    jurisdiction, records = read.jurisdiction, read.records
    assert jurisdiction is not None and records is not None  # seen_holder answered 404
    as_of = _as_of(request.query_params.get("as_of"), request.app.state.settings.today())
    answer = service.score_records(book, jurisdiction, records, as_of, holder_id)
    return json_answer(answer)


def _as_of(text: str | None, today: date) -> date:
    if text is None:
        return today
    try:
        return DATE.validate_python(text)
    except ValidationError as exc:
        raise InvalidInput(errors_from_pydantic(exc.errors(), ("query", "as_of"))) from None


@router.post(
    "/simulations",
    operation_id="simulateScore",
    summary="Simulate a score",
    response_model=ScoreAnswer,
    responses=problem_responses(400, 401, 403, 415, 422),
    openapi_extra=request_body(SimulationRequest),
)
async def simulate(request: Request) -> Response:
    # A hot read (app/api/hot_reads.py): on PostgreSQL the versions come from the scores'
    # grouped read, the client and the policies from the worker's memory.
    key = bearer_key(request)
    state = request.app.state
    if event_loop_postgres(request) is not None:
        read = await state.score_reads.submit(None)
        if kept := _kept_client_and_book(request, key, read.versions):
            client, book = kept
            return await _simulation(request, check_scope(client, (Scope.scores_read,)), book)
    return await _simulation(request, *await run_in_threadpool(_client_and_book, request, key))


def _client_and_book(request: Request, key: str) -> tuple[ApiClient, PolicyBook]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        client = check_scope(admit(request, session, key), (Scope.scores_read,))
        policies: PolicyCache = request.app.state.policy_cache
        return client, policies.get(session, request_versions(request, session).get(POLICIES))


SIMULATION_BODY = json_body(SimulationRequest)


# A holder's records are some tens, scored in a tenth of a millisecond on the event loop; a
# body may hold 1,500, which would stall every other request of the worker meanwhile.
RECORDS_ON_THE_LOOP = 100


async def _simulation(request: Request, client: ApiClient, book: PolicyBook) -> Response:
    body: SimulationRequest = await SIMULATION_BODY(request)  # 415, 400, 422 after the 403
    note(request, jurisdictions=[body.jurisdiction])
    today = request.app.state.settings.today()
    simulate = partial(service.simulate, body, client, book, catalogue_of(book, today), today)
    records = len(body.residence_periods) + len(body.insurance_periods) + len(body.adjustments)
    answer = simulate() if records <= RECORDS_ON_THE_LOOP else await run_in_threadpool(simulate)
    return json_answer(answer)


@router.post(
    "/holders/{holder_id}/assessments",
    operation_id="createAssessment",
    summary="Create an assessment",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentAnswer,
    responses=problem_responses(400, 401, 403, 404, 415, 422),
    openapi_extra=request_body(AssessmentCreate),
)
def create_assessment(
    client: ScoresReader,
    _: Idempotent,
    holder: ScorableHolder,
    session: SessionDep,
    book: PolicyBookDep,
    today: TodayDep,
    body: Annotated[AssessmentCreate, Depends(json_body(AssessmentCreate))],
    request: Request,
    response: Response,
) -> AssessmentAnswer:
    assessment = service.assess(session, book, holder, body.as_of or today, client)
    response.headers["Location"] = str(
        request.url_for("read_assessment", assessment_id=assessment.id)
    )
    return service.assessment_answer(assessment)


@router.get(
    "/assessments/{assessment_id}",
    operation_id="readAssessment",
    summary="Read an assessment",
    name="read_assessment",
    response_model=AssessmentAnswer,
    responses=problem_responses(401, 403, 404),
)
def read_assessment(
    client: ScoresReader, session: SessionDep, assessment_id: str, request: Request
) -> AssessmentAnswer:
    assessment, jurisdiction = service.get_assessment(session, client, assessment_id)
    note(request, holder_id=assessment.holder_id, jurisdictions=[jurisdiction])
    return service.assessment_answer(assessment)
