"""invitations by e-mail

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 20:18:03.998966
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("subject", existing_type=sa.VARCHAR(length=255), nullable=True)
        batch_op.create_index("ix_people_issuer_email", ["issuer", "email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_issuer_email")
        batch_op.alter_column("subject", existing_type=sa.VARCHAR(length=255), nullable=False)
