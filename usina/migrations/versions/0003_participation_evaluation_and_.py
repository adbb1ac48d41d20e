"""participation evaluation and traceability

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 17:03:45.801183
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usina.migrations import frozen as rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["action_plans.tenant_id", "action_plans.id"],
            name=op.f("fk_channels_tenant_id_plan_id_action_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_channels_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_channels")),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "id", name=op.f("uq_channels_tenant_id_plan_id_id")
        ),
    )
    op.create_table(
        "channel_members",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "actor_id"],
            ["actors.tenant_id", "actors.id"],
            name=op.f("fk_channel_members_tenant_id_actor_id_actors"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "channel_id"],
            ["channels.tenant_id", "channels.plan_id", "channels.id"],
            name=op.f("fk_channel_members_tenant_id_plan_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_channel_members_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_channel_members")),
        sa.UniqueConstraint(
            "tenant_id",
            "channel_id",
            "actor_id",
            name=op.f("uq_channel_members_tenant_id_channel_id_actor_id"),
        ),
    )
    op.create_table(
        "commitment_gaps",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "assessment_id"],
            ["assessments.tenant_id", "assessments.id"],
            name=op.f("fk_commitment_gaps_tenant_id_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
            name=op.f("fk_commitment_gaps_tenant_id_plan_id_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_commitment_gaps_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_commitment_gaps")),
        sa.UniqueConstraint(
            "tenant_id",
            "commitment_id",
            "assessment_id",
            "indicator",
            name=op.f("uq_commitment_gaps_tenant_id_commitment_id_assessment_id_indicator"),
        ),
    )
    op.create_table(
        "contributions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PROPOSAL",
                "COMMENT",
                "SUPPORT",
                "VOTE",
                "MEETING",
                name="contribution_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("author_subject", sa.String(length=255), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column(
            "moderation",
            sa.Enum(
                "PENDING",
                "PUBLISHED",
                "HIDDEN",
                name="moderation",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("moderation_reason", sa.Text(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "ACCEPTED",
                "MERGED",
                "DECLINED",
                name="response_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("responded_by", sa.String(length=255), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "merged_into_id"],
            ["contributions.tenant_id", "contributions.id"],
            name=op.f("fk_contributions_tenant_id_merged_into_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["contributions.tenant_id", "contributions.id"],
            name=op.f("fk_contributions_tenant_id_parent_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "channel_id"],
            ["channels.tenant_id", "channels.plan_id", "channels.id"],
            name=op.f("fk_contributions_tenant_id_plan_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_contributions_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_contributions")),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contributions_channel", ["tenant_id", "channel_id", "kind"], unique=False
        )
        batch_op.create_index(
            "uq_contributions_one_support",
            ["tenant_id", "parent_id", "author_subject"],
            unique=True,
            sqlite_where=sa.text("kind = 'SUPPORT'"),
            postgresql_where=sa.text("kind = 'SUPPORT'"),
        )

    op.create_table(
        "evaluations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("framework", sa.String(length=100), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "PLAN",
                "COMMITMENT",
                name="evaluation_target",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("commitment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "PUBLISHED",
                name="evaluation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reviewer", sa.String(length=255), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
            name=op.f("fk_evaluations_tenant_id_plan_id_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["action_plans.tenant_id", "action_plans.id"],
            name=op.f("fk_evaluations_tenant_id_plan_id_action_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_evaluations_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "id", name=op.f("uq_evaluations_tenant_id_plan_id_id")
        ),
    )
    op.create_table(
        "commitment_contributions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("contribution_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contribution_id"],
            ["contributions.tenant_id", "contributions.id"],
            name=op.f("fk_commitment_contributions_tenant_id_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
            name=op.f("fk_commitment_contributions_tenant_id_plan_id_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_commitment_contributions_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_commitment_contributions")),
        sa.UniqueConstraint(
            "tenant_id",
            "commitment_id",
            "contribution_id",
            name=op.f("uq_commitment_contributions_tenant_id_commitment_id_contribution_id"),
        ),
    )
    op.create_table(
        "ratings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("criterion", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=True),
        sa.Column("derived", sa.String(length=100), nullable=True),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "evaluation_id"],
            ["evaluations.tenant_id", "evaluations.plan_id", "evaluations.id"],
            name=op.f("fk_ratings_tenant_id_plan_id_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_ratings_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_ratings")),
        sa.UniqueConstraint(
            "tenant_id",
            "evaluation_id",
            "criterion",
            name=op.f("uq_ratings_tenant_id_evaluation_id_criterion"),
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.enable_rls_statements(table):
                op.execute(statement)


TABLES = (
    "channels",
    "channel_members",
    "contributions",
    "evaluations",
    "ratings",
    "commitment_gaps",
    "commitment_contributions",
)


def downgrade() -> None:
    op.drop_table("ratings")
    op.drop_table("commitment_contributions")
    op.drop_table("evaluations")
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contributions_one_support",
            sqlite_where=sa.text("kind = 'SUPPORT'"),
            postgresql_where=sa.text("kind = 'SUPPORT'"),
        )
        batch_op.drop_index("ix_contributions_channel")

    op.drop_table("contributions")
    op.drop_table("commitment_gaps")
    op.drop_table("channel_members")
    op.drop_table("channels")
