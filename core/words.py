"""The names of the core's states and kinds in each language, for sentences: an error never
prints ``PUBLISHED`` inside a Spanish sentence, a report never prints ``COMPLETED``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
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
    ActionPlanStatus.DRAFT: msg("draft", "borrador", "rascunho"),
    ActionPlanStatus.COCREATION: msg("co-creation", "cocreación", "cocriação"),
    ActionPlanStatus.PUBLISHED: msg("published", "publicado", "publicado"),
    ActionPlanStatus.IMPLEMENTATION: msg(
        "in implementation", "en implementación", "em implementação"
    ),
    ActionPlanStatus.CLOSED: msg("closed", "cerrado", "encerrado"),
    ActionPlanStatus.ARCHIVED: msg("archived", "archivado", "arquivado"),
}
MILESTONE_STATUSES: dict[MilestoneStatus, Message] = {
    MilestoneStatus.NOT_STARTED: msg("not started", "no iniciado", "não iniciado"),
    MilestoneStatus.IN_PROGRESS: msg("in progress", "en curso", "em andamento"),
    MilestoneStatus.COMPLETED: msg("completed", "completado", "concluído"),
    MilestoneStatus.CANCELLED: msg("cancelled", "cancelado", "cancelado"),
}
ASSESSMENT_STATUSES: dict[AssessmentStatus, Message] = {
    AssessmentStatus.DRAFT: msg("draft", "en borrador", "em rascunho"),
    AssessmentStatus.SUBMITTED: msg("submitted", "presentado", "apresentado"),
    AssessmentStatus.VALIDATED: msg("validated", "validado", "validado"),
}
COMPLETION_LEVELS: dict[CompletionLevel, Message] = {
    CompletionLevel.NOT_STARTED: msg("not started", "no iniciado", "não iniciado"),
    CompletionLevel.LIMITED: msg("limited", "limitado", "limitado"),
    CompletionLevel.SUBSTANTIAL: msg("substantial", "sustancial", "substancial"),
    CompletionLevel.COMPLETE: msg("complete", "completo", "completo"),
}
#: A contribution of each kind, with its article.
CONTRIBUTION_KINDS: dict[ContributionKind, Message] = {
    ContributionKind.PROPOSAL: msg("a proposal", "una propuesta", "uma proposta"),
    ContributionKind.COMMENT: msg("a comment", "un comentario", "um comentário"),
    ContributionKind.SUPPORT: msg("a support", "un apoyo", "um apoio"),
    ContributionKind.VOTE: msg("a vote", "un voto", "um voto"),
    ContributionKind.MEETING: msg("a meeting", "una reunión", "uma reunião"),
}


def word(names: Mapping[Any, Message], value: Enum, locale: str) -> str:
    return names[value].text(locale)


def each(names: Mapping[Any, Message], value: Enum) -> tuple[str, str, str]:
    """``value``'s name in English, Spanish and Portuguese."""
    name = names[value]
    return name.en, name.es, name.pt


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def whole_percent(value: float) -> str:
    """A percentage as a person reads it: a whole number, halves rounded up (22.5 is 23 and
    47.5 is 48; Python's own rounding makes the first 22 and the second 48). The one rule
    for every surface that prints a percentage for people (report, e-mails, digest); the
    data (CSV, JSON) keeps the exact figure."""
    return str(int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
