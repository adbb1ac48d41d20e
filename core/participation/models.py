"""Generic participation records: a channel (its kind comes from a plugin), its members, and
contributions (proposals, comments, supports, votes, meetings), each answerable with a
reasoned response."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, Timestamped
from core.enums import ContributionKind, Moderation, ResponseOutcome, db_enum


class Channel(Timestamped, PlanScoped, Base):
    __tablename__ = "channels"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id"], ["action_plans.tenant_id", "action_plans.id"]
        ),
        UniqueConstraint("tenant_id", "plan_id", "id"),
    )

    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(255))


class ChannelMember(Timestamped, PlanScoped, Base):
    """An actor taking part in a channel (e.g. a forum's government and civil-society seats)."""

    __tablename__ = "channel_members"
    __deletable__ = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "channel_id"],
            ["channels.tenant_id", "channels.plan_id", "channels.id"],
        ),
        ForeignKeyConstraint(["tenant_id", "actor_id"], ["actors.tenant_id", "actors.id"]),
        UniqueConstraint("tenant_id", "channel_id", "actor_id"),
    )

    channel_id: Mapped[uuid.UUID]
    actor_id: Mapped[uuid.UUID]
    role: Mapped[str] = mapped_column(String(200), default="")


class Contribution(Timestamped, PlanScoped, Base):
    __tablename__ = "contributions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "channel_id"],
            ["channels.tenant_id", "channels.plan_id", "channels.id"],
        ),
        ForeignKeyConstraint(
            ["tenant_id", "parent_id"], ["contributions.tenant_id", "contributions.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "merged_into_id"], ["contributions.tenant_id", "contributions.id"]
        ),
        Index("ix_contributions_channel", "tenant_id", "channel_id", "kind"),
        # One support per participant and proposal, enforced by the database itself.
        Index(
            "uq_contributions_one_support",
            "tenant_id",
            "parent_id",
            "author_subject",
            unique=True,
            sqlite_where=text("kind = 'SUPPORT'"),
            postgresql_where=text("kind = 'SUPPORT'"),
        ),
    )

    channel_id: Mapped[uuid.UUID]
    kind: Mapped[ContributionKind] = mapped_column(db_enum(ContributionKind, "contribution_kind"))
    parent_id: Mapped[uuid.UUID | None]
    author_subject: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    moderation: Mapped[Moderation] = mapped_column(
        db_enum(Moderation, "moderation"), default=Moderation.PUBLISHED
    )
    moderation_reason: Mapped[str] = mapped_column(Text, default="")
    # The reasoned response (OGP co-creation standard 4): what became of a proposal, and why.
    outcome: Mapped[ResponseOutcome | None] = mapped_column(
        db_enum(ResponseOutcome, "response_outcome")
    )
    response: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[uuid.UUID | None]
    responded_by: Mapped[str | None] = mapped_column(String(255))
    responded_at: Mapped[datetime | None]
