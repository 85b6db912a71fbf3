"""register: holders, records, endorsements, api clients

Revision ID: 0001
Revises:
Create Date: 2026-11-24 23:32:42.351372
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_clients',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('jurisdictions', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('id', name=op.f('uq_api_clients_id')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_api_clients_key_digest')),
    sa.UniqueConstraint('name', name=op.f('uq_api_clients_name'))
    )
    op.create_table('holders',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('jurisdiction', sa.String(length=6), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('permit_number', sa.String(length=64), nullable=False),
    sa.Column('permit_issued_on', sa.Date(), nullable=False),
    sa.Column('permit_valid_until', sa.Date(), nullable=False),
    sa.Column('permit_status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("permit_status IN ('active', 'suspended', 'revoked')", name=op.f('ck_holders_permit_status')),
    sa.CheckConstraint('permit_valid_until >= permit_issued_on', name=op.f('ck_holders_permit_dates')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_holders')),
    sa.UniqueConstraint('id', name=op.f('uq_holders_id')),
    sa.UniqueConstraint('jurisdiction', 'id_number', name=op.f('uq_holders_jurisdiction_id_number'))
    )
    with op.batch_alter_table('holders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holders_jurisdiction'), ['jurisdiction'], unique=False)

    op.create_table('adjustments',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('holder_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.CheckConstraint('effective_to IS NULL OR effective_to > effective_from', name=op.f('ck_adjustments_date_order')),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_adjustments_holder_id_holders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_adjustments')),
    sa.UniqueConstraint('id', name=op.f('uq_adjustments_id'))
    )
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustments_holder_id'), ['holder_id'], unique=False)

    op.create_table('endorsements',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('holder_id', sa.Uuid(), nullable=False),
    sa.Column('endorsed_on', sa.Date(), nullable=False),
    sa.Column('previous_valid_until', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_until >= previous_valid_until', name=op.f('ck_endorsements_extends')),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_endorsements_holder_id_holders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_endorsements')),
    sa.UniqueConstraint('id', name=op.f('uq_endorsements_id'))
    )
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endorsements_holder_id'), ['holder_id'], unique=False)

    op.create_table('insurance_periods',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('holder_id', sa.Uuid(), nullable=False),
    sa.Column('district', sa.String(length=6), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('start_month', sa.Date(), nullable=False),
    sa.Column('end_month', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.CheckConstraint("type IN ('pension', 'medical', 'unemployment', 'work_injury', 'maternity')", name=op.f('ck_insurance_periods_type')),
    sa.CheckConstraint('end_month IS NULL OR end_month >= start_month', name=op.f('ck_insurance_periods_month_order')),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_insurance_periods_holder_id_holders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_insurance_periods')),
    sa.UniqueConstraint('id', name=op.f('uq_insurance_periods_id'))
    )
    with op.batch_alter_table('insurance_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_periods_holder_id'), ['holder_id'], unique=False)

    op.create_table('residence_periods',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('holder_id', sa.Uuid(), nullable=False),
    sa.Column('district', sa.String(length=6), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('housing', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.CheckConstraint("housing IN ('owned', 'rented', 'employer', 'collective', 'other')", name=op.f('ck_residence_periods_housing')),
    sa.CheckConstraint('end_date IS NULL OR end_date > start_date', name=op.f('ck_residence_periods_date_order')),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_residence_periods_holder_id_holders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_residence_periods')),
    sa.UniqueConstraint('id', name=op.f('uq_residence_periods_id'))
    )
    with op.batch_alter_table('residence_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_periods_holder_id'), ['holder_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('residence_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_periods_holder_id'))

    op.drop_table('residence_periods')
    with op.batch_alter_table('insurance_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insurance_periods_holder_id'))

    op.drop_table('insurance_periods')
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endorsements_holder_id'))

    op.drop_table('endorsements')
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustments_holder_id'))

    op.drop_table('adjustments')
    with op.batch_alter_table('holders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holders_jurisdiction'))

    op.drop_table('holders')
    op.drop_table('api_clients')
