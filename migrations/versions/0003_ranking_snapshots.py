"""ranking snapshots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 23:43:48.539077
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table('ranking_snapshots',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('jurisdiction', sa.String(length=6), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('policy_id', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_ranking_snapshots_policy_id_policies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_ranking_snapshots')),
    sa.UniqueConstraint('id', name=op.f('uq_ranking_snapshots_id'))
    )
    with op.batch_alter_table('ranking_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_snapshots_last_used_at'), ['last_used_at'], unique=False)

    op.create_table('ranking_entries',
    sa.Column('snapshot_id', sa.Uuid(), nullable=False),
    sa.Column('rank', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holder_id', sa.Uuid(), nullable=False),
    sa.Column('total_points', sa.Integer(), nullable=False),
    sa.Column('insurance_months', sa.Integer(), nullable=False),
    sa.Column('residence_months', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['ranking_snapshots.id'], name=op.f('fk_ranking_entries_snapshot_id_ranking_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'rank', name=op.f('pk_ranking_entries'))
    )

def downgrade() -> None:
    op.drop_table('ranking_entries')
    with op.batch_alter_table('ranking_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_snapshots_last_used_at'))

    op.drop_table('ranking_snapshots')
