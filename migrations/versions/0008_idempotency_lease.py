"""idempotency keys: the claim's token, and until when an import holds its key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys left in flight by 0.1 (its requests could die holding one) get no lease: a retry
    # takes them over at once.
    with op.batch_alter_table('idempotency_keys') as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys') as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claim_token')
