"""impact runs: the comparison of a draft policy with the policy in force, kept

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:56:42.251947
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('impact_runs',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('jurisdiction', sa.String(length=6), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('policy_id', sa.String(length=200), nullable=False),
    sa.Column('draft_id', sa.String(length=200), nullable=False),
    sa.Column('draft_digest', sa.String(length=64), nullable=False),
    sa.Column('draft_document', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled')", name=op.f('ck_impact_runs_state')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_impact_runs')),
    sa.UniqueConstraint('id', name=op.f('uq_impact_runs_id'))
    )
    with op.batch_alter_table('impact_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_runs_jurisdiction'), ['jurisdiction'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('impact_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_impact_runs_jurisdiction'))

    op.drop_table('impact_runs')
