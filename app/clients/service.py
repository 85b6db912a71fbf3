"""API clients: created, listed, rotated, revoked, and authenticated on every request."""

import json
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clients.models import ALL_JURISDICTIONS, ApiClient
from app.core.errors import Conflict, invalid
from app.core.i18n import tr
from app.core.security import Scope, digests_match, key_digest, new_api_key
from app.db.session import end_read_before_write


def create_client(
    session: Session,
    name: str,
    scopes: list[str],
    jurisdictions: list[str],
    known_jurisdictions: Iterable[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiClient, str]:
    """Store a new client and return it with its key, which exists nowhere else afterwards.
    With `known_jurisdictions`, a jurisdiction outside them is refused, naming the valid ones.
    """
    known = sorted(s.value for s in Scope)
    unknown = [s for s in scopes if s not in known]
    if unknown or not scopes:
        shown = ", ".join(unknown) if unknown else "none"
        raise invalid(
            "scope",
            tr(
                f"Unknown or missing scope ({shown}); the scopes are {', '.join(known)}.",
                f"权限未知或缺失（{shown}）；可选权限：{', '.join(known)}。",
            ),
        )
    if not jurisdictions:
        raise invalid(
            "jurisdiction",
            tr("Name the client's jurisdictions, or 'all'.", "请指定客户端的辖区，或 all。"),
        )
    if ALL_JURISDICTIONS in jurisdictions:
        stored_jurisdictions = ALL_JURISDICTIONS
    else:
        bad = [j for j in jurisdictions if not (len(j) == 6 and j.isdigit())]
        if bad:
            raise invalid(
                "jurisdiction",
                tr(
                    "A jurisdiction is a 6-digit division code or 'all'.",
                    "辖区为 6 位行政区划代码或 all。",
                ),
            )
        if known_jurisdictions is not None:
            valid = sorted(known_jurisdictions)
            strangers = sorted(set(jurisdictions) - set(valid))
            if strangers:
                raise invalid(
                    "jurisdiction",
                    tr(
                        f"Unknown jurisdiction {', '.join(strangers)}; the known ones are"
                        f" {', '.join(valid)}, or 'all'.",
                        f"未知辖区 {', '.join(strangers)}；已知辖区：{', '.join(valid)}，或 all。",
                    ),
                )
        stored_jurisdictions = " ".join(sorted(set(jurisdictions)))
    if session.exec(select(ApiClient).where(ApiClient.name == name)).first():
        raise Conflict(f"A client named {name!r} exists already.")
    key = new_api_key()
    client = ApiClient(
        name=name,
        key_digest=key_digest(key),
        scopes=" ".join(sorted(set(scopes))),
        jurisdictions=stored_jurisdictions,
        expires_at=expires_at,
    )
    session.add(client)
    _audit(session, "createClient", client)
    session.commit()
    return client, key


def list_clients(session: Session) -> list[ApiClient]:
    return list(session.exec(select(ApiClient).order_by(col(ApiClient.seq))).all())


def _named(session: Session, name: str) -> ApiClient:
    client = session.exec(select(ApiClient).where(ApiClient.name == name)).first()
    if client is None:
        raise invalid("name", tr(f"No client named {name!r}.", f"没有名为 {name!r} 的客户端。"))
    return client


def revoke_client(session: Session, name: str, now: datetime) -> ApiClient:
    """Refuse the client's keys (current and previous) from the next request on, on every
    worker: each request reads its client from the database."""
    client = _named(session, name)
    client.revoked_at = client.revoked_at or now
    client.previous_key_expires_at = None
    session.add(client)
    _audit(session, "revokeClient", client)
    session.commit()
    return client


def rotate_client(
    session: Session, name: str, now: datetime, grace: timedelta
) -> tuple[ApiClient, str]:
    """A new key; the current one stays valid for `grace` so that the systems holding it can
    switch, then is refused. A rotation during a grace period ends the older key at once."""
    client = _named(session, name)
    if client.state(now) != "active":
        raise invalid(
            "name",
            tr(f"Client {name!r} is {client.state(now)}.", f"客户端 {name!r} 已失效。"),
        )
    key = new_api_key()
    client.previous_key_digest = client.key_digest
    client.previous_key_expires_at = now + grace
    client.key_digest = key_digest(key)
    session.add(client)
    _audit(session, "rotateClient", client)
    session.commit()
    return client, key


def _audit(session: Session, action: str, client: ApiClient) -> None:
    """Key lifecycle changes are made from the command line: their audit rows name it, and
    the client changed (in the filter), never a key."""
    session.add(
        AuditEvent(
            client="jifen-cli", method="CLI", route=f"jifen clients {action}", action=action,
            status=200, request_id="", jurisdictions="",
            filter=json.dumps({"client": client.name}, ensure_ascii=False),
        )
    )  # fmt: skip


LAST_USED_EVERY = timedelta(minutes=1)


# Clients kept by a worker: at most this many keys (a key is added once it authenticates).
CACHED_CLIENTS = 10_000


def find_client(session: Session, digest: str) -> ApiClient | None:
    """The client whose current or previous key has this digest."""
    return session.exec(
        select(ApiClient).where(
            sa.or_(
                col(ApiClient.key_digest) == digest, col(ApiClient.previous_key_digest) == digest
            )
        )
    ).first()


def usable(client: ApiClient | None, digest: str, now: datetime) -> ApiClient | None:
    """The client, if this key of it may be used at `now`: not revoked, not expired, and for
    a rotated key still within its grace period."""
    if client is None or client.state(now) != "active":
        return None
    if not digests_match(client.key_digest, digest):
        grace = client.previous_key_expires_at
        if not digests_match(client.previous_key_digest or "", digest) or (
            grace is None or grace <= now
        ):
            return None
    return client


def authenticate(session: Session, key: str, now: datetime) -> ApiClient | None:
    """The client whose key this is, if it may be used at `now` (read from the database)."""
    digest = key_digest(key)
    return usable(find_client(session, digest), digest, now)


class ClientCache:
    """A worker's clients by key digest, kept while the clients' version (`app/db/versions`,
    read in the request's own round trip) stays the same: a revoked, rotated or expired key
    acts on the next request of every worker. Only keys that authenticated are kept (unknown
    keys would fill it); time-based rules (expiry, grace) are checked on every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._clients: dict[str, ApiClient] = {}

    def authenticate(
        self, session: Session, key: str, now: datetime, version: int | None
    ) -> ApiClient | None:
        digest = key_digest(key)
        with self._lock:
            if version is None or version != self._version:
                self._clients, self._version = {}, version
            client = self._clients.get(digest)
        if client is None:
            client = usable(find_client(session, digest), digest, now)
            if client is not None:
                session.expunge(client)  # kept beyond the request's session
                with self._lock:
                    if self._version == version and len(self._clients) < CACHED_CLIENTS:
                        self._clients[digest] = client
            return client
        return usable(client, digest, now)

    def kept(self, key: str, now: datetime, version: int | None) -> ApiClient | None:
        """The usable client of the key when this worker keeps it and its use was noted within
        the minute: then no statement is needed (the event loop's path, issue 18)."""
        digest = key_digest(key)
        with self._lock:
            client = self._clients.get(digest) if version == self._version else None
        if client is None or not is_noted(client, now):
            return None
        return usable(client, digest, now)


def is_noted(client: ApiClient, now: datetime) -> bool:
    return client.last_used_at is not None and now - client.last_used_at < LAST_USED_EVERY


def note_use(session: Session, client: ApiClient, now: datetime) -> None:
    """Record when the client was last seen, at most once a minute (a write per request
    would cost every request)."""
    if is_noted(client, now):
        return
    end_read_before_write(session)
    session.execute(
        sa.update(ApiClient).where(col(ApiClient.id) == client.id).values(last_used_at=now)
    )
    session.commit()
    client.last_used_at = now  # a kept client: not written again within the minute
