"""imports: a state, the last line accounted for and its prefix digest, the batch's key and
the run that holds it, so that an interrupted batch resumes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('imports') as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('last_line', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prefix_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    # Reports of 0.1 were written once, at the end: complete or stopped at the size limit.
    op.execute("UPDATE imports SET state = CASE WHEN complete THEN 'stored' ELSE 'too_large' END,"
               " last_line = lines")
    with op.batch_alter_table('imports') as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('last_line', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('complete')
        batch_op.create_check_constraint(
            op.f('ck_imports_state'), "state IN ('running', 'stored', 'too_large')"
        )
        batch_op.create_unique_constraint(
            op.f('uq_imports_client_id_idempotency_key'), ['client_id', 'idempotency_key']
        )


def downgrade() -> None:
    with op.batch_alter_table('imports') as batch_op:
        batch_op.add_column(sa.Column('complete', sa.Boolean(), nullable=True))
    op.execute("UPDATE imports SET complete = (state = 'stored')")
    with op.batch_alter_table('imports') as batch_op:
        batch_op.alter_column('complete', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_constraint(op.f('uq_imports_client_id_idempotency_key'), type_='unique')
        batch_op.drop_constraint(op.f('ck_imports_state'), type_='check')
        for column in ('lease_until', 'claim_token', 'idempotency_key', 'prefix_digest',
                       'last_line', 'state'):
            batch_op.drop_column(column)
