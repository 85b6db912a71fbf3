"""cache versions: what workers keep in memory, bumped by triggers on its tables

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What authentication reads of a client; last_used_at (written once a minute) is not in it.
CLIENT_COLUMNS = ("name", "key_digest", "scopes", "jurisdictions", "expires_at", "revoked_at",
                  "previous_key_digest", "previous_key_expires_at")
WATCHED = {"clients": ("api_clients", CLIENT_COLUMNS), "policies": ("policies", None)}


def upgrade() -> None:
    table = op.create_table(
        'cache_versions',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions')),
    )
    op.bulk_insert(table, [{"name": name, "version": 1} for name in WATCHED])
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (watched, columns) in WATCHED.items():
        bump = f"UPDATE cache_versions SET version = version + 1 WHERE name = '{name}'"
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        if postgres:  # once per statement, however many rows it changed
            op.execute(
                f"CREATE FUNCTION bump_{name}_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {bump}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER bump_{name}_version AFTER INSERT OR {update} OR DELETE "
                f"ON {watched} FOR EACH STATEMENT EXECUTE FUNCTION bump_{name}_version()"
            )
        else:  # SQLite has row triggers only, one for each kind of change
            for event in ("INSERT", update, "DELETE"):
                kind = event.split()[0].lower()
                op.execute(
                    f"CREATE TRIGGER bump_{name}_version_{kind} AFTER {event} ON {watched} "
                    f"BEGIN {bump}; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (watched, _) in WATCHED.items():
        if postgres:
            op.execute(f"DROP TRIGGER bump_{name}_version ON {watched}")
            op.execute(f"DROP FUNCTION bump_{name}_version()")
        else:
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER bump_{name}_version_{kind}")
    op.drop_table('cache_versions')
