"""Running Alembic from the application: `jifen migrate`, start-up, readiness."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def _migrations_dir() -> Path:
    """Beside the package in a checkout; in the working directory of an installed copy (the
    container image puts them there)."""
    beside = Path(__file__).resolve().parent.parent.parent / "migrations"
    return beside if beside.is_dir() else Path.cwd() / "migrations"


MIGRATIONS_DIR = _migrations_dir()


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def schema_behind(current: str | None) -> bool:
    """Whether a database at `current` lacks migrations of this release: at a revision this
    release knows other than its head, or at none. An unknown revision is a newer release's."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    if current is None:
        return True
    known = {revision.revision for revision in script.walk_revisions()}
    return current in known and current != script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
