"""/readyz answers 200 only when the database answers and its schema is not behind."""

from pathlib import Path

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.migrations import downgrade, upgrade
from app.main import create_app


def _ready(url: str) -> tuple[int, dict[str, str]]:
    app = create_app(Settings(database_url=url))
    with TestClient(app) as http:
        response = http.get("/readyz")
    app.state.engine.dispose()
    return response.status_code, response.json()


def test_ready_only_at_head(scratch_url: str) -> None:
    assert _ready(scratch_url)[0] == 503  # nothing migrated yet
    upgrade(scratch_url)
    assert _ready(scratch_url) == (200, {"status": "ok"})
    downgrade(scratch_url, "-1")
    assert _ready(scratch_url) == (
        503,
        {"status": "unavailable", "database": "migrations not at head"},
    )


def test_health_needs_no_database(tmp_path: Path) -> None:
    app = create_app(
        Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", db_timeout_seconds=1)
    )
    with TestClient(app) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 503
