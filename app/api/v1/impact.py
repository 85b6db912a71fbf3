"""The impact of a draft policy on a jurisdiction's population, as a job (issue 17)."""

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from app.api.deps import (
    CatalogueDep,
    Cursor,
    Idempotent,
    Limit,
    PolicyBookDep,
    PolicySimulator,
    SessionDep,
    TodayDep,
    held_jurisdiction,
    json_body,
    raw_body,
)
from app.api.openapi import request_body
from app.audit.service import note
from app.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    invalid,
    problem_responses,
)
from app.core.i18n import tr
from app.core.text import MESSAGE, unstorable_fields
from app.impact import runs
from app.impact.models import ImpactRun
from app.impact.report import render_html
from app.impact.schemas import ImpactCancel, ImpactRunAnswer
from app.impact.service import check_draft
from app.policies.document import PolicyError, parse_policy
from app.policies.publishing import YAML_TYPES, document_errors, parse_document
from app.register.schemas import Page

router = APIRouter(prefix="/v1", tags=["impact"])


def simulated_jurisdiction(
    request: Request,
    client: PolicySimulator,
    catalogue: CatalogueDep,
    code: Annotated[str, Path()],
) -> str:
    """The path's jurisdiction (404, then 403), noted for the audit row."""
    note(request, jurisdictions=[held_jurisdiction(client, catalogue, code)])
    return code


Jurisdiction = Annotated[str, Depends(simulated_jurisdiction)]


def runs_read(request: Request, code: Jurisdiction, session: SessionDep) -> str:
    """The path's jurisdiction, its interrupted runs failed first. That write has a connection
    of its own (a read's transaction cannot turn into a write on SQLite once another writer has
    committed); the read's transaction then starts again, so that it sees the write."""
    runs.fail_stale(request.app.state.engine, code, request.app.state.clock())
    session.commit()
    return code


ReadJurisdiction = Annotated[str, Depends(runs_read)]


def _answer(request: Request, run: ImpactRun, *, with_result: bool = True) -> Any:
    answer = ImpactRunAnswer.of(run, with_result=with_result)
    if answer.result is not None:  # example holder ids: a read of the register, audited
        examples = sum(
            len(ids) for d in answer.result.domains.values() for ids in d.examples.values()
        )
        note(request, jurisdictions=[run.jurisdiction], rows=examples)
    return answer


@router.post(
    "/jurisdictions/{code}/impact",
    operation_id="createImpactRun",
    summary="Start the impact of a draft policy",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImpactRunAnswer,
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {
                    "schema": {
                        "type": "object",
                        "description": "The draft: a policy document of the jurisdiction "
                        "(docs/policy-format.md), not published",
                    }
                }
                for t in ("application/json", *YAML_TYPES)
            },
        }
    },
)
def create_impact_run(
    request: Request,
    response: Response,
    client: PolicySimulator,
    _: Idempotent,
    code: Jurisdiction,
    session: SessionDep,
    book: PolicyBookDep,
    today: TodayDep,
    body: Annotated[bytes, Depends(raw_body)],
    as_of: Annotated[date | None, Query(description="Default: today")] = None,
) -> Any:
    """Compare a draft with the policy in force at `as_of` over every holder of the
    jurisdiction with a valid permit. The draft's own test cases run first (422 `tests`).
    Answers 202 at once: GET the `Location` for progress and, once done, the result."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    document = parse_document(body, media_type)
    if unstorable := unstorable_fields(document):
        raise InvalidInput([FieldError(field=f or "body", message=MESSAGE) for f in unstorable])
    try:
        draft = parse_policy(document, "body")
    except PolicyError as exc:
        raise InvalidInput(document_errors(document, exc)) from None
    if draft.jurisdiction.code != code:
        raise invalid(
            "jurisdiction.code",
            tr(
                f"The draft is a policy of {draft.jurisdiction.code}, not of {code}.",
                f"草案属于辖区 {draft.jurisdiction.code}，不属于 {code}。",
            ),
        )
    day = as_of or today
    current = check_draft(book, draft, day)
    run = runs.create_run(session, client, current, draft, day, request.app.state.clock())
    session.commit()
    # Taken by the runner once the request's unit of work has committed the run: the runner
    # reads it on its own connection.
    request.state.unit.after_commit.append(lambda: request.app.state.impact_runner.submit(run.id))
    response.headers["Location"] = str(
        request.url_for("read_impact_run", code=code, impact_id=str(run.id))
    )
    return ImpactRunAnswer.of(run)


@router.get(
    "/jurisdictions/{code}/impact",
    operation_id="listImpactRuns",
    summary="List the impact runs of a jurisdiction",
    response_model=Page[ImpactRunAnswer],
    responses=problem_responses(401, 403, 404, 422),
)
def list_impact_runs(
    request: Request,
    code: ReadJurisdiction,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """In the order they were started; without their results (GET a run for its result)."""
    items, next_cursor = runs.list_runs(session, code, limit, cursor)
    return {
        "items": [ImpactRunAnswer.of(run, with_result=False) for run in items],
        "next_cursor": next_cursor,
    }


@router.get(
    "/jurisdictions/{code}/impact/{impact_id}",
    operation_id="readImpactRun",
    summary="Read an impact run: its progress, and its result once done",
    name="read_impact_run",
    response_model=ImpactRunAnswer,
    responses=problem_responses(401, 403, 404),
)
def read_impact_run(
    request: Request, code: ReadJurisdiction, session: SessionDep, impact_id: str
) -> Any:
    return _answer(request, runs.get_run(session, code, impact_id))


@router.get(
    "/jurisdictions/{code}/impact/{impact_id}/report",
    operation_id="readImpactReport",
    summary="Read an impact run's report as one HTML page",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "A self-contained page (zh/en, printable, SVG charts)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 404, 409),
    },
)
def read_impact_report(
    request: Request, code: ReadJurisdiction, session: SessionDep, impact_id: str
) -> HTMLResponse:
    run = runs.get_run(session, code, impact_id)
    answer = _answer(request, run)
    if answer.result is None:
        raise Conflict(
            tr(
                f"The impact run is {run.state}: its report exists once it is done.",
                f"该影响评估处于 {run.state} 状态，完成后才有报告。",
            )
        )
    page = render_html(
        answer.result.model_dump(mode="json"),
        run.draft_id,
        digest=f"sha256:{run.draft_digest}",
        draft=parse_policy(json.loads(run.draft_document), "draft"),  # its names for the page
    )
    return HTMLResponse(page)


@router.post(
    "/jurisdictions/{code}/impact/{impact_id}/cancel",
    operation_id="cancelImpactRun",
    summary="Cancel an impact run",
    response_model=ImpactRunAnswer,
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422),
    openapi_extra=request_body(ImpactCancel),
)
def cancel_impact_run(
    request: Request,
    code: Jurisdiction,
    session: SessionDep,
    impact_id: str,
    _: Annotated[ImpactCancel, Depends(json_body(ImpactCancel))],
) -> Any:
    """A queued or running run stops at its next step; a finished one answers 409."""
    run = runs.get_run(session, code, impact_id)
    return ImpactRunAnswer.of(runs.cancel_run(session, run, request.app.state.clock()))
