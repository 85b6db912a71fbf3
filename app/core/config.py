"""Settings: every `JIFEN_*` environment variable, read once and passed down."""

from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_POLICY_DIR = Path(__file__).resolve().parent.parent / "policies" / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIFEN_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite:///./jifen.db",
        description="SQLAlchemy URL; PostgreSQL as postgresql+psycopg://user@host/db",
    )
    host: str = Field("127.0.0.1", description="address `jifen serve` listens on")
    port: int = Field(8000, description="port `jifen serve` listens on")
    workers: int = Field(1, description="worker processes of `jifen serve`")
    log_level: str = Field("info", description="log level: debug, info, warning, error")
    timezone: str = Field("Asia/Shanghai", description="'today' for as_of and record checks")
    policy_dir: Path = Field(DEFAULT_POLICY_DIR, description="folder of policy YAML files")
    load_policies: bool = Field(True, description="load the policy files at start-up")
    max_body_bytes: int = Field(1024 * 1024, description="request body limit (413 beyond)")
    max_import_bytes: int = Field(1024**3, description="body limit of a bulk import")
    db_timeout_seconds: float = Field(
        5.0,
        description="database connect, pool and statement timeout; any wait on PostgreSQL is"
        " cut after it + 1 s",
    )
    import_lease_seconds: int = Field(
        60,
        description="how long a bulk import's run holds its batch without storing a chunk;"
        " after it, a retry with the batch's key resumes it",
    )
    rate_limit_per_minute: int = Field(
        0, description="requests a client may make per minute (0: no limit)"
    )
    metrics_dir: Path | None = Field(
        None, description="folder for the workers' metric samples (unset: a temporary one)"
    )
    shutdown_grace_seconds: int = Field(
        30, description="on SIGTERM, how long in-flight requests may take to finish"
    )

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """SPEC §7: today is the date in JIFEN_TIMEZONE."""
        return datetime.now(self.zone).date()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
