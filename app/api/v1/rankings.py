"""Rankings of a jurisdiction's holders by points (SPEC §7)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from app.api.deps import (
    CatalogueDep,
    Cursor,
    Limit,
    PolicyBookDep,
    ScoresReader,
    SessionDep,
    TodayDep,
    held_jurisdiction,
)
from app.audit.service import note
from app.core.errors import problem_responses
from app.scoring import ranking
from app.scoring.service import policy_in_force

router = APIRouter(prefix="/v1", tags=["scores"])


class RankingRow(BaseModel):
    rank: int
    holder_id: str
    total_points: int
    insurance_months: int
    residence_months: int


class RankingPage(BaseModel):
    as_of: date
    policy_id: str
    computed_at: str
    items: list[RankingRow]
    next_cursor: str | None


def ranked_jurisdiction(
    client: ScoresReader, catalogue: CatalogueDep, code: Annotated[str, Path()]
) -> str:
    """A dependency, so that 404 and 403 come before the query's 422."""
    return held_jurisdiction(client, catalogue, code)


@router.get(
    "/jurisdictions/{code}/ranking",
    operation_id="readRanking",
    summary="Read a jurisdiction's ranking",
    response_model=RankingPage,
    responses=problem_responses(401, 403, 404, 410, 422),
)
def read_ranking(
    request: Request,
    code: Annotated[str, Depends(ranked_jurisdiction)],
    session: SessionDep,
    book: PolicyBookDep,
    today: TodayDep,
    as_of: Annotated[date | None, Query(description="Default: today; fixed by the cursor")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Holders with a valid permit at `as_of`, by points desc, then insurance months desc,
    residence months desc, holder id asc. The first page fixes a snapshot; its cursors read
    that snapshot even while records change (410 once it has expired)."""
    if cursor is not None:
        snapshot, after_rank = ranking.snapshot_for_cursor(session, code, cursor)
    else:
        policy = policy_in_force(book, code, as_of or today, "as_of")
        snapshot, after_rank = ranking.new_snapshot(session, policy, as_of or today), 0
    page = ranking.ranking_page(session, snapshot, after_rank, limit)
    note(request, jurisdictions=[code], filter={"as_of": page["as_of"]}, rows=len(page["items"]))
    return page
