"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 16:24:45.028522
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usina.migrations import frozen as rls

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "municipalities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column(
            "locale",
            sa.Enum(
                "es",
                "en",
                "pt",
                name="locale",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                name="municipality_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(country) = 2", name=op.f("ck_municipalities_country_alpha2")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipalities")),
        sa.UniqueConstraint("slug", name=op.f("uq_municipalities_slug")),
    )
    op.create_table(
        "action_plans",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "COCREATION",
                "PUBLISHED",
                "IMPLEMENTATION",
                "CLOSED",
                "ARCHIVED",
                name="action_plan_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("cocreation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("implementation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_action_plans_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_action_plans_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_action_plans")),
    )
    with op.batch_alter_table("action_plans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_plans_tenant_status", ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "actors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "GOVERNMENT",
                "CIVIL_SOCIETY",
                "ACADEMIA",
                "PRIVATE_SECTOR",
                "INTERNATIONAL",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_actors_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_actors")),
    )
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("actor_subject", sa.String(length=255), nullable=False),
        sa.Column("actor_role", sa.String(length=64), nullable=False),
        sa.Column("cross_tenant", sa.Boolean(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_audit_events_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_entity", ["tenant_id", "entity_type", "entity_id"], unique=False
        )

    op.create_table(
        "commitments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("status_quo", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("contribution", sa.Text(), nullable=False),
        sa.Column("ogp_values", sa.JSON(), nullable=False),
        sa.Column("lead_agency_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_commitments_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_agency_id"],
            ["actors.tenant_id", "actors.id"],
            name=op.f("fk_commitments_tenant_id_lead_agency_id_actors"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["action_plans.tenant_id", "action_plans.id"],
            name=op.f("fk_commitments_tenant_id_plan_id_action_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_commitments_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_commitments")),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "code", name=op.f("uq_commitments_tenant_id_plan_id_code")
        ),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "id", name=op.f("uq_commitments_tenant_id_plan_id_id")
        ),
    )
    op.create_table(
        "commitment_supporters",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "actor_id"],
            ["actors.tenant_id", "actors.id"],
            name=op.f("fk_commitment_supporters_tenant_id_actor_id_actors"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
            name=op.f("fk_commitment_supporters_tenant_id_plan_id_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_commitment_supporters_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_commitment_supporters")),
        sa.UniqueConstraint(
            "tenant_id",
            "commitment_id",
            "actor_id",
            name=op.f("uq_commitment_supporters_tenant_id_commitment_id_actor_id"),
        ),
    )
    op.create_table(
        "milestones",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("deliverable", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "NOT_STARTED",
                "IN_PROGRESS",
                "COMPLETED",
                "CANCELLED",
                name="milestone_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("last_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_milestones_dates_ordered")),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_milestones_progress_range")
        ),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_milestones_weight_non_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
            name=op.f("fk_milestones_tenant_id_plan_id_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_milestones_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_milestones")),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "id", name=op.f("uq_milestones_tenant_id_plan_id_id")
        ),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestones_commitment", ["tenant_id", "commitment_id"], unique=False
        )

    op.create_table(
        "progress_reports",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("milestone_id", sa.Uuid(), nullable=False),
        sa.Column("percent", sa.Double(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "NOT_STARTED",
                "IN_PROGRESS",
                "COMPLETED",
                "CANCELLED",
                name="milestone_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("author_subject", sa.String(length=255), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "percent >= 0 AND percent <= 100", name=op.f("ck_progress_reports_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id", "milestone_id"],
            ["milestones.tenant_id", "milestones.plan_id", "milestones.id"],
            name=op.f("fk_progress_reports_tenant_id_plan_id_milestone_id_milestones"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_progress_reports_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_progress_reports")),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_reports_milestone",
            ["tenant_id", "milestone_id", "reported_at"],
            unique=False,
        )

    _isolation()


TENANT_TABLES = (
    "action_plans",
    "actors",
    "audit_events",
    "commitments",
    "commitment_supporters",
    "milestones",
    "progress_reports",
)
APPEND_ONLY = ("progress_reports", "audit_events")


def _isolation() -> None:
    """Row-level security on every tenant-owned table (PostgreSQL) and append-only triggers."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.enable_rls_statements(table):
                op.execute(statement)
        op.execute(rls.APPEND_ONLY_FUNCTION)
    for table in APPEND_ONLY:
        for statement in rls.append_only_statements(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS usina_refuse_change() CASCADE")
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_reports_milestone")

    op.drop_table("progress_reports")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_milestones_commitment")

    op.drop_table("milestones")
    op.drop_table("commitment_supporters")
    op.drop_table("commitments")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
    op.drop_table("actors")
    with op.batch_alter_table("action_plans", schema=None) as batch_op:
        batch_op.drop_index("ix_action_plans_tenant_status")

    op.drop_table("action_plans")
    op.drop_table("municipalities")
