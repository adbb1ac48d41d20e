"""moving and erasing municipalities: platform events, tokens_not_before, erasable append-only

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usina.migrations import frozen as rls

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tenant-owned append-only tables of revision 0013.
APPEND_ONLY = ("audit_events", "progress_reports", "plan_versions")


def upgrade() -> None:
    op.create_table(
        "platform_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_slug", sa.String(length=63), nullable=False),
        sa.Column("actor_subject", sa.String(length=255), nullable=False),
        sa.Column("actor_role", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_events")),
    )
    op.create_index(
        "ix_platform_events_municipality",
        "platform_events",
        ["municipality_id", "occurred_at"],
        unique=False,
    )
    op.add_column(
        "municipalities",
        sa.Column("tokens_not_before", sa.DateTime(timezone=True), nullable=True),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(rls.APPEND_ONLY_FUNCTION)
        op.execute(rls.ERASABLE_APPEND_ONLY_FUNCTION)
        for table in APPEND_ONLY:
            for statement in rls.erasable_append_only_statements(table):
                op.execute(statement)
    for statement in rls.append_only_statements("platform_events", dialect):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            for statement in rls.append_only_statements(table, "postgresql"):
                op.execute(statement)
        op.execute("DROP FUNCTION IF EXISTS usina_refuse_change_unless_erasing()")
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("tokens_not_before")
    op.drop_index("ix_platform_events_municipality", table_name="platform_events")
    op.drop_table("platform_events")
