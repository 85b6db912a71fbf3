"""api clients: expiry, revocation, a rotated key's grace period, last use

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_clients') as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('previous_key_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('previous_key_expires_at', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            op.f('uq_api_clients_previous_key_digest'), ['previous_key_digest']
        )


def downgrade() -> None:
    with op.batch_alter_table('api_clients') as batch_op:
        batch_op.drop_constraint(op.f('uq_api_clients_previous_key_digest'), type_='unique')
        for column in ('last_used_at', 'previous_key_expires_at', 'previous_key_digest',
                       'revoked_at', 'expires_at'):
            batch_op.drop_column(column)
