"""published versions of action plans

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usina.migrations import frozen as rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_plan_versions_number_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["action_plans.tenant_id", "action_plans.id"],
            name=op.f("fk_plan_versions_tenant_id_plan_id_action_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_plan_versions_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "number", name=op.f("uq_plan_versions_tenant_id_plan_id_number")
        ),
    )
    op.add_column("action_plans", sa.Column("pending", sa.JSON(), nullable=True))
    for table in ("commitments", "milestones"):
        op.add_column(table, sa.Column("pending", sa.JSON(), nullable=True))
        op.add_column(
            table, sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in rls.enable_rls_statements("plan_versions"):
            op.execute(statement)
    for statement in rls.append_only_statements("plan_versions", dialect):
        op.execute(statement)


def downgrade() -> None:
    for table in ("commitments", "milestones"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("public")
            batch.drop_column("pending")
    with op.batch_alter_table("action_plans") as batch:
        batch.drop_column("pending")
    op.drop_table("plan_versions")
