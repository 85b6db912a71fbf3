"""residence periods: township (GB/T 10114 township-level code, optional)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Periods stored before this revision keep township null: "not recorded" (SPEC §4).
CHECK = "township IS NULL OR (length(township) = 9 AND substr(township, 1, 6) = district)"


def upgrade() -> None:
    with op.batch_alter_table('residence_periods') as batch_op:
        batch_op.add_column(sa.Column('township', sa.String(length=9), nullable=True))
        batch_op.create_check_constraint(op.f('ck_residence_periods_township_in_district'), CHECK)


def downgrade() -> None:
    with op.batch_alter_table('residence_periods') as batch_op:
        batch_op.drop_constraint(op.f('ck_residence_periods_township_in_district'), type_='check')
        batch_op.drop_column('township')
