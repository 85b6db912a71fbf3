"""The schema only changes through migrations, which run both ways on both databases."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db.base import metadata
from app.db.migrations import alembic_config, downgrade, upgrade


def _diff(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(scratch_url: str) -> None:
    upgrade(scratch_url)
    assert _diff(scratch_url) == []


def test_every_migration_goes_down_to_base_and_up_again(scratch_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(scratch_url))
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    assert revisions, "no migrations found"
    upgrade(scratch_url)
    assert _tables(scratch_url) == set(metadata.tables)
    for _ in revisions:  # one step at a time, so that every downgrade runs
        downgrade(scratch_url, "-1")
    assert _tables(scratch_url) == set()
    upgrade(scratch_url)
    assert _diff(scratch_url) == []
