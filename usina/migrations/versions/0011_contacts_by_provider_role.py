"""contacts by provider role

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:56:15.157432
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant_contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "provider_role",
                sa.Enum(
                    "platform_admin",
                    "consultant",
                    "tenant_admin",
                    "editor",
                    "reviewer",
                    "participant",
                    name="contact_provider_role",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("participant_contacts", schema=None) as batch_op:
        batch_op.drop_column("provider_role")
