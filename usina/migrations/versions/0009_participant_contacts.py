"""participant contacts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:20:21.972708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usina.migrations import frozen as rls

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant_contacts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("identity_email", sa.String(length=320), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("pending_email", sa.String(length=320), nullable=True),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=True),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("unsubscribe_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_participant_contacts_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_participant_contacts")),
    )
    with op.batch_alter_table("participant_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_participant_contacts_subject", ["tenant_id", "subject"], unique=True
        )
        batch_op.create_index(
            "uq_participant_contacts_unsubscribe",
            ["tenant_id", "unsubscribe_token"],
            unique=True,
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_rls_statements("participant_contacts"):
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("participant_contacts", schema=None) as batch_op:
        batch_op.drop_index("uq_participant_contacts_unsubscribe")
        batch_op.drop_index("uq_participant_contacts_subject")
    op.drop_table("participant_contacts")
