"""Idempotent retries (SPEC §7)."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session, col, select

from app.core.errors import Conflict, invalid
from app.core.i18n import tr
from app.idempotency.models import IdempotencyKey

KEPT = timedelta(hours=24)


class Replay(Exception):
    """The stored first answer of a retried request, to be sent again."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def request_digest(body: bytes, media_type: str) -> str:
    """Bodies that are equal once parsed (JSON, YAML) digest alike; others by their bytes
    (an NDJSON import: the same bytes)."""
    parsed: object = None
    try:
        if media_type == "application/json":
            parsed = json.loads(body) if body else {}
        elif media_type in ("application/yaml", "application/x-yaml", "text/yaml"):
            parsed = yaml.safe_load(body)
    except (ValueError, yaml.YAMLError):
        parsed = None
    canonical = (
        json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str).encode()
        if parsed is not None
        else body
    )
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class Claim:
    client_id: uuid.UUID
    key: str
    token: uuid.UUID  # the answer is kept only while the key is still held under it


class LostClaim(Exception):
    """The key is no longer held under this request's token: its answer must not be kept."""


def check_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise invalid(
            "Idempotency-Key", tr("1 to 255 printable characters.", "应为 1 至 255 个可打印字符。")
        )


def _held(held: Claim) -> tuple[Any, ...]:
    return (
        IdempotencyKey.client_id == held.client_id,
        IdempotencyKey.key == held.key,
        col(IdempotencyKey.claim_token) == held.token,
    )


def claim_in_unit(
    session: Session,
    client_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    digest: str,
    now: datetime,
) -> Claim:
    """SPEC §7 inside a request's unit of work: the key is taken in the same transaction as
    what the request stores, so that it is kept with them or not at all. A request that dies
    takes its claim with it (the database rolls the transaction back), and a retry runs again.

    While the first request runs, its transaction holds a lock on the key: on PostgreSQL an
    advisory lock tried without waiting (another request with the key answers 409 at once);
    on SQLite every write request holds the database's write lock, so none can see another
    in flight. Raises `Replay` for a retry of a finished request.
    """
    check_key(key)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        locked = connection.execute(
            sa.select(sa.func.pg_try_advisory_xact_lock(
                sa.func.hashtextextended(f"{client_id} {key}", 0)
            ))
        ).scalar_one()  # fmt: skip
        if not locked:
            raise in_flight(1)
    first = session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.client_id == client_id, IdempotencyKey.key == key
        )
    ).first()
    token = uuid.uuid4()
    held: dict[str, Any] = {"claim_token": token, "lease_until": None, "created_at": now}
    if first is None:
        session.add(
            IdempotencyKey(
                client_id=client_id, key=key, method=method, path=path, request_digest=digest,
                claim_token=token, lease_until=None, created_at=now,
            )
        )  # fmt: skip
    elif first.status is not None:
        raise replay(first, method, path, digest)
    elif first.lease_until is not None and first.lease_until > now:
        # An import holds it (imports commit as they go, outside a unit of work).
        raise in_flight(max(1, int((first.lease_until - now).total_seconds()) + 1))
    else:
        # Left unsettled by an earlier release, whose requests could die holding a key: the
        # request is over, and this one runs in its place.
        session.execute(
            sa.update(IdempotencyKey)
            .where(col(IdempotencyKey.client_id) == client_id, col(IdempotencyKey.key) == key)
            .values(method=method, path=path, request_digest=digest, **held)
        )
    session.commit()
    return Claim(client_id, key, token)


def in_flight(retry_after: int) -> Conflict:
    return Conflict(
        tr(
            "The first request with this Idempotency-Key is still being processed.",
            "使用此幂等键的首个请求仍在处理中。",
        ),
        headers={"Retry-After": str(retry_after)},
    )


def forget_expired(session: Session, now: datetime) -> None:
    """Delete keys older than 24 hours, a few at a time, never waiting on a row another
    request holds (on PostgreSQL, SKIP LOCKED)."""
    expired = (
        sa.select(col(IdempotencyKey.seq))
        .where(col(IdempotencyKey.created_at) < now - KEPT)
        .limit(100)
    )
    if session.connection().dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.seq).in_(expired)))
    session.commit()


def replay(first: IdempotencyKey, method: str, path: str, digest: str) -> Replay:
    """The first answer, for the same request; 422 for another one under the same key."""
    if (first.method, first.path, first.request_digest) != (method, path, digest):
        raise invalid(
            "Idempotency-Key",
            tr(
                "This key was used for another request; use a new key.",
                "此幂等键已用于另一请求，请使用新的键。",
            ),
        )
    return Replay(first.status or 500, json.loads(first.headers or "{}"), first.body or b"")


def set_digest(session: Session, held: Claim, digest: str) -> None:
    """A streamed body's digest is known only at its end."""
    session.execute(sa.update(IdempotencyKey).where(*_held(held)).values(request_digest=digest))
    session.commit()


def keep_answer(
    connection: Any, held: Claim, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Keep the answer under the key, in the caller's transaction (a request's unit of work:
    with its rows and its audit row, or not at all). `LostClaim` when the key is no longer
    held under this request's token."""
    kept = connection.execute(
        sa.update(IdempotencyKey)
        .where(*_held(held))
        .values(status=status, headers=json.dumps(headers), body=body, lease_until=None)
    )
    if kept.rowcount != 1:
        raise LostClaim(held.key)


def settle(
    session: Session, held: Claim, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Keep an import's answer under its key, committed on its own (an import commits chunk
    by chunk, outside a unit of work). After a 5xx the key stays with its batch, which a
    retry with the key resumes."""
    if status >= 500:
        return
    try:
        keep_answer(session.connection(), held, status, headers, body)
    except LostClaim:  # a retry resumed the batch: its answer will be kept
        session.rollback()
        return
    session.commit()
