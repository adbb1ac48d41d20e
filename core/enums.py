"""Enumerations shared by models, services and the API (stored as constrained strings)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def db_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR with a CHECK constraint on both dialects."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class MunicipalityStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Locale(StrEnum):
    ES = "es"
    EN = "en"
    PT = "pt"


class ActionPlanStatus(StrEnum):
    DRAFT = "DRAFT"
    COCREATION = "COCREATION"
    PUBLISHED = "PUBLISHED"
    IMPLEMENTATION = "IMPLEMENTATION"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


class OgpValue(StrEnum):
    ACCESS_TO_INFORMATION = "ACCESS_TO_INFORMATION"
    CIVIC_PARTICIPATION = "CIVIC_PARTICIPATION"
    PUBLIC_ACCOUNTABILITY = "PUBLIC_ACCOUNTABILITY"
    TECHNOLOGY_AND_INNOVATION = "TECHNOLOGY_AND_INNOVATION"


class MilestoneStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class CompletionLevel(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    LIMITED = "LIMITED"
    SUBSTANTIAL = "SUBSTANTIAL"
    COMPLETE = "COMPLETE"


class ActorKind(StrEnum):
    GOVERNMENT = "GOVERNMENT"
    CIVIL_SOCIETY = "CIVIL_SOCIETY"
    ACADEMIA = "ACADEMIA"
    PRIVATE_SECTOR = "PRIVATE_SECTOR"
    INTERNATIONAL = "INTERNATIONAL"


class AssessmentStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    VALIDATED = "VALIDATED"


class ContributionKind(StrEnum):
    PROPOSAL = "PROPOSAL"
    COMMENT = "COMMENT"
    SUPPORT = "SUPPORT"
    VOTE = "VOTE"
    MEETING = "MEETING"


class ChannelState(StrEnum):
    """Where a channel stands in its window: not open yet, taking contributions, or closed
    (on its closing date or by hand)."""

    UPCOMING = "UPCOMING"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class Moderation(StrEnum):
    PENDING = "PENDING"
    PUBLISHED = "PUBLISHED"
    HIDDEN = "HIDDEN"


class ResponseOutcome(StrEnum):
    ACCEPTED = "ACCEPTED"
    MERGED = "MERGED"
    DECLINED = "DECLINED"


class EvaluationTarget(StrEnum):
    PLAN = "PLAN"
    COMMITMENT = "COMMITMENT"


class EvaluationStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
