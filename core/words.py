"""The names of the core's states and kinds in each language, for sentences: an error never
prints ``PUBLISHED`` inside a Spanish sentence, a report never prints ``COMPLETED``."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from core.enums import (
    ActionPlanStatus,
    AssessmentStatus,
    CompletionLevel,
    ContributionKind,
    MilestoneStatus,
)
from core.i18n import Message, msg

PLAN_STATUSES: dict[ActionPlanStatus, Message] = {
    ActionPlanStatus.DRAFT: msg("draft", "borrador"),
    ActionPlanStatus.COCREATION: msg("co-creation", "cocreación"),
    ActionPlanStatus.PUBLISHED: msg("published", "publicado"),
    ActionPlanStatus.IMPLEMENTATION: msg("in implementation", "en implementación"),
    ActionPlanStatus.CLOSED: msg("closed", "cerrado"),
    ActionPlanStatus.ARCHIVED: msg("archived", "archivado"),
}
MILESTONE_STATUSES: dict[MilestoneStatus, Message] = {
    MilestoneStatus.NOT_STARTED: msg("not started", "no iniciado"),
    MilestoneStatus.IN_PROGRESS: msg("in progress", "en curso"),
    MilestoneStatus.COMPLETED: msg("completed", "completado"),
    MilestoneStatus.CANCELLED: msg("cancelled", "cancelado"),
}
ASSESSMENT_STATUSES: dict[AssessmentStatus, Message] = {
    AssessmentStatus.DRAFT: msg("draft", "en borrador"),
    AssessmentStatus.SUBMITTED: msg("submitted", "presentado"),
    AssessmentStatus.VALIDATED: msg("validated", "validado"),
}
COMPLETION_LEVELS: dict[CompletionLevel, Message] = {
    CompletionLevel.NOT_STARTED: msg("not started", "no iniciado"),
    CompletionLevel.LIMITED: msg("limited", "limitado"),
    CompletionLevel.SUBSTANTIAL: msg("substantial", "sustancial"),
    CompletionLevel.COMPLETE: msg("complete", "completo"),
}
#: A contribution of each kind, with its article.
CONTRIBUTION_KINDS: dict[ContributionKind, Message] = {
    ContributionKind.PROPOSAL: msg("a proposal", "una propuesta"),
    ContributionKind.COMMENT: msg("a comment", "un comentario"),
    ContributionKind.SUPPORT: msg("a support", "un apoyo"),
    ContributionKind.VOTE: msg("a vote", "un voto"),
    ContributionKind.MEETING: msg("a meeting", "una reunión"),
}


def word(names: Mapping[Any, Message], value: Enum, locale: str) -> str:
    return names[value].text(locale)


def both(names: Mapping[Any, Message], value: Enum) -> tuple[str, str]:
    """``value``'s name in English and in Spanish."""
    return names[value].en, names[value].es


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
