"""Alembic environment: the URL comes from the caller's config (see app/db/migrations.py) or,
for the plain `alembic` command, from JIFEN_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

import app.models  # noqa: F401  (fills the metadata)
from app.core.config import Settings
from app.db.base import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url


def run_migrations() -> None:
    connectable = config.attributes.get("connection") or create_engine(url)
    with _connection(connectable) as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together migrate one at a time; the others then find
                # the schema at head and do nothing.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7231997)")
            context.run_migrations()


def _connection(connectable):  # type: ignore[no-untyped-def]
    from contextlib import nullcontext

    from sqlalchemy.engine import Connection

    return (
        nullcontext(connectable) if isinstance(connectable, Connection) else connectable.connect()
    )


run_migrations()
