"""Bilingual (Spanish and English) user-facing texts.

A :class:`Message` carries both languages; the API returns the one the caller asks for
(``Accept-Language``) as the error message and both in ``extensions.message``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    en: str
    es: str

    def text(self, locale: str) -> str:
        return self.es if locale.startswith("es") else self.en


def msg(en: str, es: str) -> Message:
    return Message(en=en, es=es)


def pick_locale(accept_language: str | None, default: str = "en") -> str:
    """The first supported language of an ``Accept-Language`` header."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in ("es", "en"):
            return tag[:2]
    return default
