"""API keys over their life (SPEC §7 clients): create, list, rotate, expire, revoke; each
change audited. Time moves with the app's injectable clock, never with sleeps."""

import subprocess
import sys
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clients.models import ApiClient
from app.clients.service import create_client, revoke_client, rotate_client
from app.db.base import utcnow


def _cli(database_url: str, *args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "clients", *args], capture_output=True, text=True,
        env={"JIFEN_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_scopes_and_jurisdictions_accumulate_and_unknown_ones_are_named(
    database_url: str, engine: sa.Engine
) -> None:
    made = _cli(database_url, "create", "--name", "gaj", "--scope", "holders:read",
                "--scope", "scores:read", "audit:read", "--jurisdiction", "441700",
                "--jurisdiction", "621000")  # fmt: skip
    assert made.returncode == 0, made.stderr
    with Session(engine) as session:
        client = session.exec(sa.select(ApiClient).where(ApiClient.name == "gaj")).scalar_one()
    assert client.scope_set == {"holders:read", "scores:read", "audit:read"}
    assert client.jurisdiction_set == {"441700", "621000"}

    stranger = _cli(database_url, "create", "--name", "x", "--scope", "holders:read",
                    "--jurisdiction", "999999")  # fmt: skip
    assert stranger.returncode == 2
    assert "999999" in stranger.stderr and "441700" in stranger.stderr  # the valid ones named
    bad_scope = _cli(database_url, "create", "--name", "y", "--scope", "holders:delete",
                     "--jurisdiction", "all")  # fmt: skip
    assert bad_scope.returncode == 2
    assert "holders:delete" in bad_scope.stderr and "scores:read" in bad_scope.stderr
    no_jurisdiction = _cli(database_url, "create", "--name", "z", "--scope", "holders:read")
    assert no_jurisdiction.returncode == 2 and "--jurisdiction" in no_jurisdiction.stderr


def test_list_shows_every_client_and_never_a_key(database_url: str) -> None:
    made = _cli(database_url, "create", "--name", "listed", "--scope", "holders:read",
                "--jurisdiction", "all", "--expires-days", "30")  # fmt: skip
    key = made.stdout.strip().splitlines()[-1]
    _cli(database_url, "revoke", "listed")
    listing = _cli(database_url, "list")
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if line.startswith("listed\t"))
    _, state, scopes, jurisdictions, _, last_used, expires = row.split("\t")
    assert (state, scopes, jurisdictions, last_used) == ("revoked", "holders:read", "all", "-")
    assert expires != "-"
    assert key not in listing.stdout and key[3:20] not in listing.stdout


def test_a_rotated_key_works_for_its_grace_period_then_not(
    app: Any, http: TestClient, engine: sa.Engine
) -> None:
    start = app.state.clock()
    with Session(engine, expire_on_commit=False) as session:
        _, old = create_client(session, "rotating", ["holders:read"], ["all"])
        _, new = rotate_client(session, "rotating", start, timedelta(hours=24))
    try:
        assert http.get("/v1/holders", headers=_bearer(old)).status_code == 200
        assert http.get("/v1/holders", headers=_bearer(new)).status_code == 200
        app.state.clock = lambda: start + timedelta(hours=24, seconds=1)
        assert http.get("/v1/holders", headers=_bearer(old)).status_code == 401
        assert http.get("/v1/holders", headers=_bearer(new)).status_code == 200
    finally:
        app.state.clock = utcnow


def test_an_expired_key_is_refused(app: Any, http: TestClient, engine: sa.Engine) -> None:
    start = app.state.clock()
    with Session(engine) as session:
        _, key = create_client(
            session, "expiring", ["holders:read"], ["all"], expires_at=start + timedelta(days=1)
        )
    try:
        assert http.get("/v1/holders", headers=_bearer(key)).status_code == 200
        app.state.clock = lambda: start + timedelta(days=1)
        refused = http.get("/v1/holders", headers=_bearer(key))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
    finally:
        app.state.clock = utcnow


def test_a_revoked_key_is_refused_at_its_next_request_and_the_changes_are_audited(
    app: Any, http: TestClient, engine: sa.Engine, make_key: Any
) -> None:
    with Session(engine) as session:
        _, key = create_client(session, "leaked", ["holders:read"], ["all"])
    assert http.get("/v1/holders", headers=_bearer(key)).status_code == 200
    with Session(engine) as session:
        revoke_client(session, "leaked", app.state.clock())
    assert http.get("/v1/holders", headers=_bearer(key)).status_code == 401
    auditor = make_key(["audit:read"])
    rows = http.get("/v1/audit", params={"client": "jifen-cli", "limit": 500}, headers=auditor)
    changes = [(r["action"], r["filter"]) for r in rows.json()["items"]]
    assert ("createClient", {"client": "leaked"}) in changes
    assert ("revokeClient", {"client": "leaked"}) in changes


def test_last_use_is_recorded(app: Any, http: TestClient, engine: sa.Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        client, key = create_client(session, "seen", ["holders:read"], ["all"])
    assert client.last_used_at is None
    http.get("/v1/holders", headers=_bearer(key))
    with engine.connect() as connection:
        used = connection.execute(
            sa.select(ApiClient.last_used_at).where(ApiClient.name == "seen")
        ).scalar_one()
    assert used is not None
