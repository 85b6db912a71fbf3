"""Idempotent retries and per-client rate limits (SPEC §7)."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import ApiError, Conflict, invalid
from app.core.i18n import tr
from app.idempotency.models import IdempotencyKey, RateWindow

KEPT = timedelta(hours=24)
RATE_WINDOW = timedelta(minutes=1)


class Replay(Exception):
    """The stored first answer of a retried request, to be sent again."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class TooManyRequests(ApiError):
    status = 429


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


def take_key(
    session: Session,
    client_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    digest: str,
    now: datetime,
) -> Claim | IdempotencyKey:
    """Take the key for this request, or give the row of the request that took it first (409
    while that one runs). The unique constraint decides between concurrent requests."""
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise invalid(
            "Idempotency-Key", tr("1 to 255 printable characters.", "应为 1 至 255 个可打印字符。")
        )
    session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < now - KEPT))
    session.commit()
    row = IdempotencyKey(
        client_id=client_id,
        key=key,
        method=method,
        path=path,
        request_digest=digest,
        created_at=now,
    )
    session.add(row)
    try:
        session.commit()
        return Claim(client_id, key)
    except IntegrityError:
        session.rollback()
    first = session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.client_id == client_id, IdempotencyKey.key == key
        )
    ).one()
    if first.status is None:
        raise Conflict(
            tr(
                "The first request with this Idempotency-Key is still being processed.",
                "使用此幂等键的首个请求仍在处理中。",
            )
        )
    return first


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


def claim(
    session: Session,
    client_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    digest: str,
    now: datetime,
) -> Claim:
    """SPEC §7 for a body read whole: the key, or the first answer replayed (`Replay`)."""
    taken = take_key(session, client_id, key, method, path, digest, now)
    if isinstance(taken, IdempotencyKey):
        raise replay(taken, method, path, digest)
    return taken


def set_digest(session: Session, held: Claim, digest: str) -> None:
    """A streamed body's digest is known only at its end."""
    session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.client_id == held.client_id, IdempotencyKey.key == held.key)
        .values(request_digest=digest)
    )
    session.commit()


def settle(
    session: Session, held: Claim, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Keep the answer given under the key; a 5xx releases the key so that a retry runs again."""
    where = (IdempotencyKey.client_id == held.client_id, IdempotencyKey.key == held.key)
    if status >= 500:
        session.execute(sa.delete(IdempotencyKey).where(*where))
    else:
        session.execute(
            sa.update(IdempotencyKey)
            .where(*where)
            .values(status=status, headers=json.dumps(headers), body=body)
        )
    session.commit()


def count_request(session: Session, client_id: uuid.UUID, limit: int, now: datetime) -> None:
    """Fixed one-minute windows per client, counted in the database (all workers and
    replicas share them). Over the limit: 429 with Retry-After, the seconds left."""
    start = now.replace(second=0, microsecond=0)
    insert = (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert  # type: ignore[union-attr]
    statement = (
        insert(RateWindow)
        .values(client_id=client_id, window_start=start, requests=1)
        .on_conflict_do_update(
            index_elements=["client_id", "window_start"],
            set_={"requests": RateWindow.__table__.c.requests + 1},
        )
        .returning(RateWindow.__table__.c.requests)
    )
    requests = session.execute(statement).scalar_one()
    session.execute(sa.delete(RateWindow).where(col(RateWindow.window_start) < start - RATE_WINDOW))
    session.commit()
    if requests > limit:
        retry_after = max(1, int((start + RATE_WINDOW - now).total_seconds()) + 1)
        raise TooManyRequests(
            tr(
                f"More than {limit} requests a minute; retry in {retry_after} s.",
                f"每分钟请求超过 {limit} 次，请 {retry_after} 秒后重试。",
            ),
            headers={"Retry-After": str(retry_after)},
        )
