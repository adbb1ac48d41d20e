"""municipality branding: a primary colour and a logo

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usina.migrations import frozen as rls

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("municipalities") as batch:
        batch.add_column(sa.Column("primary_color", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
    op.create_table(
        "municipality_logos",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_municipality_logos_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_municipality_logos")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_rls_statements("municipality_logos"):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("municipality_logos")
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("logo_sha256")
        batch.drop_column("primary_color")
