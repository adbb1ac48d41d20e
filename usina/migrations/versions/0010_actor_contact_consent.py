"""actor contact consent

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:35:18.235468
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing contacts never agreed to be public: they stay for staff only.
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_column("contact_public")
