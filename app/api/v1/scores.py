"""Scores, simulations and assessments (SPEC §7)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.api.deps import (
    CatalogueDep,
    Idempotent,
    PolicyBookDep,
    ScorableHolder,
    ScoresReader,
    SessionDep,
    TodayDep,
    json_body,
)
from app.api.openapi import request_body
from app.audit.service import note
from app.core.errors import problem_responses
from app.engine.answer import ScoreAnswer
from app.scoring import service
from app.scoring.schemas import AssessmentAnswer, AssessmentCreate, SimulationRequest

router = APIRouter(prefix="/v1", tags=["scores"])


@router.get(
    "/holders/{holder_id}/score",
    operation_id="readScore",
    summary="Read a holder's score",
    response_model=ScoreAnswer,
    responses=problem_responses(401, 403, 404, 422),
)
def read_score(
    holder: ScorableHolder,
    session: SessionDep,
    book: PolicyBookDep,
    today: TodayDep,
    as_of: Annotated[date | None, Query(description="Default: today")] = None,
) -> ScoreAnswer:
    return service.score_holder(session, book, holder, as_of or today)


@router.post(
    "/simulations",
    operation_id="simulateScore",
    summary="Simulate a score",
    response_model=ScoreAnswer,
    responses=problem_responses(400, 401, 403, 415, 422),
    openapi_extra=request_body(SimulationRequest),
)
def simulate(
    client: ScoresReader,
    book: PolicyBookDep,
    catalogue: CatalogueDep,
    today: TodayDep,
    body: Annotated[SimulationRequest, Depends(json_body(SimulationRequest))],
    request: Request,
) -> ScoreAnswer:
    note(request, jurisdictions=[body.jurisdiction])
    return service.simulate(body, client, book, catalogue, today)


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
