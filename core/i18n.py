"""User-facing texts in Spanish, English and Portuguese.

A :class:`Message` carries the three languages, written beside the code that says it (an error
names the values it refuses, so most texts are formatted where they are raised). The API returns
the one the caller asks for (``Accept-Language``, else the municipality's language) as the
error message and all three in ``extensions.message``. Every ``msg(...)`` takes all three, so a
missing language is a type error; ``tests/core/test_i18n.py`` checks that no text is empty and
that none carries words of another language.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The languages of every user-facing text, in the order ``msg`` takes them.
LANGUAGES = ("en", "es", "pt")


@dataclass(frozen=True, slots=True)
class Message:
    en: str
    es: str
    pt: str

    def text(self, locale: str) -> str:
        if locale.startswith("es"):
            return self.es
        if locale.startswith("pt"):
            return self.pt
        return self.en

    def as_dict(self) -> dict[str, str]:
        """The three texts by language, as ``extensions.message`` gives them."""
        return {"en": self.en, "es": self.es, "pt": self.pt}

    @staticmethod
    def join(messages: list[Message], separator: str = " ") -> Message:
        return Message(
            en=separator.join(m.en for m in messages),
            es=separator.join(m.es for m in messages),
            pt=separator.join(m.pt for m in messages),
        )


def msg(en: str, es: str, pt: str) -> Message:
    return Message(en=en, es=es, pt=pt)


def pick_locale(accept_language: str | None, default: str = "en") -> str:
    """The first supported language of an ``Accept-Language`` header."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return default
