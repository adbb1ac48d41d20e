"""The names of the core's states and kinds in each language, for sentences: an error never
prints ``PUBLISHED`` inside a Spanish sentence, a report never prints ``COMPLETED``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

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


# -- dates, numbers and plurals as a person reads them (Babel: CLDR's data) -------------------

#: The CLDR locale of each of the product's languages (Portuguese as Brazil writes it).
CLDR = {"es": "es", "en": "en", "pt": "pt_BR"}


def day(value: date, locale: str) -> str:
    """A date in words: "30 de noviembre de 2026", "November 30, 2026", "30 de novembro de
    2026". Data (CSV, JSON, the API) keeps ISO dates; people read these."""
    return format_date(value, format="long", locale=CLDR.get(locale, "en"))


def number(value: float, locale: str) -> str:
    """A number with the language's separators: 524.288 and 22,5 in Spanish, 524,288 and
    22.5 in English."""
    return format_decimal(value, locale=CLDR.get(locale, "en"))


@dataclass(frozen=True)
class Plural:
    """A phrase with a count, in each language's plural forms (CLDR's ``one`` and ``other``;
    ``{n}`` is the count). ``Plural.text(1, "es")`` is "1 municipio", never "1 municipios"."""

    one: Message
    other: Message

    def text(self, n: int, locale: str) -> str:
        form = Locale.parse(CLDR.get(locale, "en")).plural_form(n)
        chosen = self.one if form == "one" else self.other
        return chosen.text(locale).format(n=number(n, locale))

    def message(self, n: int) -> Message:
        return Message(en=self.text(n, "en"), es=self.text(n, "es"), pt=self.text(n, "pt"))
