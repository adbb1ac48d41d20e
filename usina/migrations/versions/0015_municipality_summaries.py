"""the portfolio: a summary row per municipality, and the staff's outbox

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_STATUSES = ("DRAFT", "COCREATION", "PUBLISHED", "IMPLEMENTATION", "CLOSED", "ARCHIVED")
LEVELS = ("NOT_STARTED", "LIMITED", "SUBSTANTIAL", "COMPLETE")


def upgrade() -> None:
    op.create_table(
        "municipality_summaries",
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("plan_title", sa.String(length=300), nullable=True),
        sa.Column(
            "plan_status",
            sa.Enum(
                *PLAN_STATUSES,
                name="summary_plan_status",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("plan_progress", sa.Double(), nullable=True),
        sa.Column(
            "plan_completion",
            sa.Enum(
                *LEVELS,
                name="summary_completion_level",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("commitments_by_level", sa.JSON(), nullable=False),
        sa.Column("open_milestones", sa.JSON(), nullable=False),
        sa.Column("open_due_dates", sa.Text(), nullable=False),
        sa.Column("completed_milestones", sa.JSON(), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("diagnostic_instrument", sa.String(length=100), nullable=True),
        sa.Column("diagnostic_first_score", sa.Double(), nullable=True),
        sa.Column("diagnostic_latest_score", sa.Double(), nullable=True),
        sa.Column("diagnostic_latest_on", sa.Date(), nullable=True),
        sa.Column("checklist_met", sa.Integer(), nullable=True),
        sa.Column("checklist_total", sa.Integer(), nullable=True),
        sa.Column("channel_windows", sa.JSON(), nullable=False),
        sa.Column("unanswered_contributions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_municipality_summaries_municipality_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("municipality_id", name=op.f("pk_municipality_summaries")),
    )

    op.create_table(
        "staff_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SENT",
                "FAILED",
                name="staff_delivery_status",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_staff_deliveries_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_deliveries")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_staff_deliveries_dedupe_key")),
    )


def downgrade() -> None:
    op.drop_table("staff_deliveries")
    op.drop_table("municipality_summaries")
