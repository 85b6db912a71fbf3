"""Impact runs as the API keeps them (issue 17): created with their draft, advanced by the
runner, read, listed and cancelled. Every change of state is one conditional UPDATE, so that
a cancel and the runner's own writes never overwrite each other."""

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.clients.models import ApiClient
from app.core import paging
from app.core.errors import Conflict, NotFound
from app.core.i18n import tr
from app.db.base import table_of
from app.domain.policy import Policy
from app.impact.models import FINISHED, ImpactRun
from app.policies.service import canonical
from app.register.service import as_uuid

# The runner writes its heartbeat every HEARTBEAT; a run not heard of for STALE was
# interrupted (its process ended) and is failed when next read.
HEARTBEAT = timedelta(seconds=10)
STALE = timedelta(seconds=60)
INTERRUPTED = "interrupted: the process running it stopped; start the impact again"

runs = table_of(ImpactRun)


def draft_digest(draft: Policy) -> str:
    """SHA-256 of the draft as served, in canonical JSON: the same document, the same digest."""
    return hashlib.sha256(canonical(draft.served()).encode()).hexdigest()


def create_run(
    session: Session, client: ApiClient, current: Policy, draft: Policy, as_of: date, now: datetime
) -> ImpactRun:
    run = ImpactRun(
        jurisdiction=draft.jurisdiction.code,
        client_id=client.id,
        as_of=as_of,
        policy_id=current.id,
        draft_id=draft.id,
        draft_digest=draft_digest(draft),
        draft_document=json.dumps(draft.served(), ensure_ascii=False),
        created_at=now,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def fail_stale(engine: sa.Engine, jurisdiction: str, now: datetime) -> None:
    """Runs whose process stopped answering: failed, so that nobody waits for them. On a
    connection of its own, before a read's session: a read's transaction (SQLite) cannot turn
    into a write once another writer has committed."""
    with engine.begin() as connection:
        connection.execute(
            runs.update()
            .where(
                runs.c.jurisdiction == jurisdiction,
                runs.c.state.in_(("queued", "running")),
                runs.c.heartbeat_at < now - STALE,
            )
            .values(state="failed", error=INTERRUPTED, finished_at=now)
        )


def get_run(session: Session, jurisdiction: str, run_id: str) -> ImpactRun:
    """The run of the jurisdiction with this id (404 otherwise)."""
    key = as_uuid(run_id)
    run = None
    if key is not None:
        run = session.exec(
            select(ImpactRun).where(ImpactRun.id == key, ImpactRun.jurisdiction == jurisdiction)
        ).first()
    if run is None:
        raise NotFound(tr("No such impact run.", "没有这个影响评估。"))
    return run


def list_runs(
    session: Session, jurisdiction: str, limit: int, cursor: str | None
) -> tuple[list[ImpactRun], str | None]:
    """The jurisdiction's runs in the order they were created."""
    rows = session.exec(
        select(ImpactRun)
        .where(
            ImpactRun.jurisdiction == jurisdiction, col(ImpactRun.seq) > paging.after_seq(cursor)
        )
        .order_by(col(ImpactRun.seq))
        .limit(limit + 1)
    ).all()
    return paging.page_of(rows, limit)


def cancel_run(session: Session, run: ImpactRun, now: datetime) -> ImpactRun:
    """Stop a queued or running run (the runner stops at its next step); a cancelled run stays
    cancelled; a finished one cannot be (409)."""
    changed = (
        session.connection()
        .execute(
            runs.update()
            .where(runs.c.id == run.id, runs.c.state.in_(("queued", "running")))
            .values(state="cancelled", finished_at=now)
        )
        .rowcount
    )
    session.commit()
    session.refresh(run)
    if not changed and run.state != "cancelled":
        raise Conflict(
            tr(
                f"The impact run is {run.state} already: it cannot be cancelled.",
                f"该影响评估已处于 {run.state} 状态，不能取消。",
            )
        )
    return run


# --- the runner's writes, each on its own short transaction ------------------------------------


def start(connection: sa.Connection, run_id: uuid.UUID, now: datetime) -> bool:
    """Queued -> running; False when the run was cancelled (or failed) meanwhile."""
    claimed = connection.execute(
        runs.update()
        .where(runs.c.id == run_id, runs.c.state == "queued")
        .values(state="running", started_at=now, heartbeat_at=now)
    ).rowcount
    return bool(claimed)


def advance(connection: sa.Connection, run_id: uuid.UUID, done: int, total: int) -> bool:
    """Progress; False when the run is no longer running (cancelled): the runner stops."""
    moved = connection.execute(
        runs.update()
        .where(runs.c.id == run_id, runs.c.state == "running")
        .values(done=done, total=total)
    ).rowcount
    return bool(moved)


def beat(connection: sa.Connection, run_ids: list[uuid.UUID], now: datetime) -> None:
    connection.execute(
        runs.update()
        .where(runs.c.id.in_(run_ids), runs.c.state.in_(("queued", "running")))
        .values(heartbeat_at=now)
    )


def finish(
    connection: sa.Connection,
    run_id: uuid.UUID,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Running (or queued) -> done with its result, or failed with a reason; a cancelled run
    keeps its state."""
    connection.execute(
        runs.update()
        .where(runs.c.id == run_id, runs.c.state.not_in(tuple(FINISHED)))
        .values(
            state="done" if error is None else "failed",
            finished_at=now,
            error=error,
            result=json.dumps(result, ensure_ascii=False) if result is not None else None,
        )
    )
