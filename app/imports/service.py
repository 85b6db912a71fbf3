"""An import's batch (SPEC §7): claimed under its Idempotency-Key, resumed after a run that
died, given back, and its report read again."""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clients.models import ApiClient
from app.core.errors import NotFound
from app.core.i18n import tr
from app.idempotency.models import IdempotencyKey
from app.idempotency.service import (
    KEPT,
    Claim,
    Replay,
    check_key,
    forget_expired,
    in_flight,
)
from app.imports.models import ImportBatch


def get_report(
    session: Session, client: ApiClient, import_id: str, now: datetime
) -> dict[str, Any]:
    """The report again, to the client that made the import; 404 to any other."""
    try:
        wanted = uuid.UUID(import_id)
    except ValueError:
        wanted = None
    batch = (
        session.exec(select(ImportBatch).where(ImportBatch.id == wanted)).first()
        if wanted
        else None
    )
    if batch is None or batch.client_id != client.id:
        raise NotFound(tr("No such import.", "没有这个导入批次。"))
    state = batch.state
    if state == "running" and (batch.lease_until is None or batch.lease_until <= now):
        state = "interrupted"
    report = stored_report(batch, state)
    if state in ("running", "interrupted"):
        report["last_line"] = batch.last_line
    return report


def claim_batch(
    session: Session, client: ApiClient, key: str | None, now: datetime, lease: timedelta
) -> tuple[ImportBatch, Claim | None] | IdempotencyKey:
    """The batch this run holds, and its key's claim: a new batch; or, for the key of a batch
    whose run died (its lease ran out), that batch, to resume after its last stored line. The
    first answer's row when the key's batch is finished (a replay); 409 while its run holds it.
    The batch's report exists from the start, committed with the key."""
    token = uuid.uuid4()
    batch = ImportBatch(
        client_id=client.id, idempotency_key=key, claim_token=token, lease_until=now + lease
    )
    if key is None:
        session.add(batch)
        session.commit()
        return batch, None
    check_key(key)
    forget_expired(session, now)
    session.add(batch)
    # The key's own lease covers the whole batch: the batch's lease says whether its run lives.
    session.add(
        IdempotencyKey(
            client_id=client.id, key=key, method="POST", path="/v1/imports",
            request_digest="streaming", created_at=now, claim_token=token,
            lease_until=now + KEPT,
        )
    )  # fmt: skip
    try:
        session.commit()
        return batch, Claim(client.id, key, token)
    except IntegrityError:
        session.rollback()
    first = session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.client_id == client.id, IdempotencyKey.key == key
        )
    ).first()
    if first is None:  # the key was forgotten after 24 hours; its old batch forgets it too
        session.execute(
            sa.update(ImportBatch)
            .where(col(ImportBatch.client_id) == client.id)
            .where(col(ImportBatch.idempotency_key) == key)
            .values(idempotency_key=None)
        )
        session.commit()
        return claim_batch(session, client, key, now, lease)
    if first.status is not None:
        return first
    interrupted = session.exec(  # the key's own batch: they share the run's token
        select(ImportBatch).where(
            ImportBatch.client_id == client.id,
            ImportBatch.idempotency_key == key,
            ImportBatch.claim_token == first.claim_token,
        )
    ).first()
    if interrupted is None:
        raise in_flight(60)
    if interrupted.state != "running":
        # It was read to its end but its answer was not kept (the process died or the
        # database failed in between): its report is the answer.
        raise Replay(*_finished_answer(interrupted))
    if interrupted.lease_until is not None and interrupted.lease_until > now:
        raise in_flight(60)
    took = session.execute(
        sa.update(ImportBatch)
        .where(col(ImportBatch.id) == interrupted.id)
        .where(col(ImportBatch.claim_token) == interrupted.claim_token)
        .values(claim_token=token, lease_until=now + lease)
    )
    session.execute(
        sa.update(IdempotencyKey)
        .where(col(IdempotencyKey.client_id) == client.id, col(IdempotencyKey.key) == key)
        .values(claim_token=token)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]  # another retry resumed it first
        session.rollback()
        raise in_flight(60)
    session.commit()
    session.refresh(interrupted)
    return interrupted, Claim(client.id, key, token)


def stored_report(batch: ImportBatch, state: str) -> dict[str, Any]:
    """The report as stored with the batch."""
    return {
        "id": str(batch.id),
        "state": state,
        "lines": batch.lines,
        "stored": batch.stored,
        "rejected": json.loads(batch.rejected),
    }


def _finished_answer(batch: ImportBatch) -> tuple[int, dict[str, str], bytes]:
    report = stored_report(batch, batch.state)
    if batch.state == "too_large":
        body = {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": "The batch passed the size limit: it stopped there.",
            "report": report,
        }
        return 413, {"content-type": "application/problem+json"}, json.dumps(body).encode()
    headers = {"content-type": "application/json", "location": f"/v1/imports/{batch.id}"}
    return 201, headers, json.dumps(report, ensure_ascii=False).encode()


def let_go(session: Session, batch: ImportBatch, now: datetime) -> None:
    """End this run's lease at once (a retry whose bytes differ gives the batch back)."""
    session.execute(
        sa.update(ImportBatch)
        .where(col(ImportBatch.id) == batch.id)
        .where(col(ImportBatch.claim_token) == batch.claim_token)
        .values(lease_until=now)
    )
    session.commit()
