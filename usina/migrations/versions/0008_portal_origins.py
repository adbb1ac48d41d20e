"""portal origins

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("portal_origins", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.drop_column("portal_origins")
