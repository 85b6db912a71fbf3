"""API keys, scopes and jurisdictions (SPEC §7)."""

import hashlib
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.clients.models import ApiClient
from app.core.config import Settings
from app.main import create_app
from tests.conftest import holder_body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer jf_wrong"},
        {"Authorization": "Basic abc"},
    ],
)
def test_missing_or_bad_key_is_401(http: TestClient, headers: dict[str, str]) -> None:
    response = http.get("/v1/holders", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


def test_401_comes_before_a_bad_body(http: TestClient) -> None:
    response = http.post("/v1/holders", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("get", "/v1/holders", "holders:read"),
        ("post", "/v1/holders", "holders:write"),
        ("post", "/v1/holders/lookup", "holders:read"),
    ],
)
def test_missing_scope_is_403(
    http: TestClient, make_key: Any, method: str, path: str, scope: str
) -> None:
    others = [s for s in ["holders:read", "holders:write", "scores:read"] if s != scope]
    response = http.request(method, path, headers=make_key(others), content=b"{")
    assert response.status_code == 403
    assert scope in response.json()["detail"]


def test_holder_outside_jurisdictions_is_404(
    http: TestClient, make_key: Any, new_holder: Any
) -> None:
    holder = new_holder(jurisdiction="621000")
    yangjiang_only = make_key(jurisdictions=["441700"])
    for path in ["", "/residence-periods", "/endorsements", "/adjustments"]:
        assert (
            http.get(f"/v1/holders/{holder['id']}{path}", headers=yangjiang_only).status_code == 404
        )
    assert http.get("/v1/holders", headers=yangjiang_only).json()["items"] == []
    # Filtering on a jurisdiction the client does not hold names it in a 403.
    response = http.get("/v1/holders", params={"jurisdiction": "621000"}, headers=yangjiang_only)
    assert response.status_code == 403
    assert "621000" in response.json()["detail"]


def test_creating_in_a_jurisdiction_not_held_is_403(http: TestClient, make_key: Any) -> None:
    response = http.post(
        "/v1/holders", json=holder_body("621000"), headers=make_key(jurisdictions=["441700"])
    )
    assert response.status_code == 403
    assert "621000" in response.json()["detail"]


def test_keys_are_stored_as_digests(http: TestClient, make_key: Any, engine: sa.Engine) -> None:
    key = make_key()["Authorization"].removeprefix("Bearer ")
    with engine.connect() as connection:
        digests = connection.execute(sa.select(ApiClient.key_digest)).scalars().all()
    assert hashlib.sha256(key.encode()).hexdigest() in digests
    assert all(key not in d for d in digests)


def test_cli_prints_key_once_on_last_line(database_url: str, engine: sa.Engine) -> None:
    env = {"JIFEN_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "clients", "create", "--name", "bureau",
         "--scope", "holders:read", "scores:read", "--jurisdiction", "441700"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    key = result.stdout.strip().splitlines()[-1]
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as http:
        assert (
            http.get("/v1/holders", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        )
    refused = subprocess.run(
        [sys.executable, "-m", "app.cli", "clients", "create", "--name", "nowhere", "--scope", "holders:read"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "jurisdiction" in refused.stderr


def test_internal_error_reveals_nothing(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret 441702199001011233 in SELECT * FROM holders")

    with TestClient(app, raise_server_exceptions=False) as http:
        chinese = http.get("/boom")
        english = http.get("/boom", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert chinese.status_code == english.status_code == 500
    assert chinese.headers["content-type"] == "application/problem+json"
    problem = {"type": "about:blank", "title": "Internal Server Error", "status": 500}
    assert chinese.json() == {**problem, "detail": "内部错误。"}
    assert english.json() == {**problem, "detail": "Internal error."}
