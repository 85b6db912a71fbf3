"""The application: `create_app(settings)` builds it; nothing happens at import."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI

from app.api import health
from app.api.openapi import build_openapi
from app.api.v1 import endorsements, holders, policies, rankings, records, scores
from app.core.config import Settings
from app.core.errors import install_error_handlers
from app.db.session import make_engine
from app.policies.service import PolicyCache


def app_version() -> str:
    try:
        return version("jifen")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="jifen", version=app_version(), redoc_url=None)
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.policy_cache = PolicyCache()
    install_error_handlers(app)
    app.include_router(health.router)
    for router in [
        holders.router,
        *records.routers,
        endorsements.router,
        scores.router,
        policies.router,
        rankings.router,
    ]:
        app.include_router(router, prefix="/v1")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, app.version)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
