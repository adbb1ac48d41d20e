"""Input checks shared by services, each raising ``BadUserInput`` that names the field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import BadUserInput
from core.i18n import msg
from core.text import problem

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(field: str, given: Any, *, max_length: int, required: bool = True) -> str:
    if given is None:
        given = ""
    if not isinstance(given, str):
        raise BadUserInput(msg("Must be text.", "Debe ser texto.", "Deve ser texto."), field=field)
    reason = problem(given)  # the CLI's and the jobs' callers: the API checked at its edge
    if reason is not None:
        raise BadUserInput(reason, field=field)
    value: str = given.strip()
    if required and not value:
        raise BadUserInput(
            msg("Cannot be empty.", "No puede estar vacío.", "Não pode estar vazio."), field=field
        )
    if len(value) > max_length:
        raise BadUserInput(
            msg(
                f"At most {max_length} characters.",
                f"Como máximo {max_length} caracteres.",
                f"No máximo {max_length} caracteres.",
            ),
            field=field,
        )
    return value


def optional_text(field: str, value: Any, *, max_length: int) -> str | None:
    value = text(field, value, max_length=max_length, required=False)
    return value or None


def slug(field: str, value: str) -> str:
    value = (value or "").strip().lower()
    if not SLUG_RE.match(value):
        raise BadUserInput(
            msg(
                "Use 1-63 lowercase letters, digits and hyphens (not at the ends).",
                "Use de 1 a 63 minúsculas, dígitos y guiones (no en los extremos).",
                "Use de 1 a 63 minúsculas, dígitos e hifens (não nas pontas).",
            ),
            field=field,
        )
    return value


def country(field: str, value: str) -> str:
    value = (value or "").strip().upper()
    if not COUNTRY_RE.match(value):
        raise BadUserInput(
            msg(
                "Use an ISO 3166-1 alpha-2 country code, such as AR or ES.",
                "Use un código de país ISO 3166-1 alfa-2, como AR o ES.",
                "Use um código de país ISO 3166-1 alfa-2, como BR ou PT.",
            ),
            field=field,
        )
    return value


def timezone(field: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadUserInput(
            msg(
                f"Unknown time zone '{value}'.",
                f"Zona horaria desconocida '{value}'.",
                f"Fuso horário desconhecido '{value}'.",
            ),
            field=field,
        ) from None
    return value


def url(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 500 or not URL_RE.match(value):
        raise BadUserInput(
            msg("Use an http(s) URL.", "Use una URL http(s).", "Use uma URL http(s)."), field=field
        )
    return value


class Link(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def title(self) -> str: ...


def links(field: str, items: Sequence[Link], *, max_items: int) -> list[dict[str, str]]:
    """``[{url, title}]`` of links to evidence or documents: each an http(s) URL."""
    if len(items) > max_items:
        raise BadUserInput(
            msg(
                f"At most {max_items} links.",
                f"Como máximo {max_items} enlaces.",
                f"No máximo {max_items} links.",
            ),
            field=field,
        )
    out = []
    for item in items:
        link = url(f"{field}.url", item.url)
        if link is None:
            raise BadUserInput(
                msg(
                    "A link needs a URL.",
                    "Un enlace necesita una URL.",
                    "Um link precisa de uma URL.",
                ),
                field=f"{field}.url",
            )
        title = text(f"{field}.title", item.title, max_length=300, required=False)
        out.append({"url": link, "title": title})
    return out


def email(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 320 or not EMAIL_RE.match(value):
        raise BadUserInput(
            msg("Invalid e-mail.", "Correo electrónico inválido.", "E-mail inválido."), field=field
        )
    return value


def non_negative(field: str, value: float | int | None) -> Any:
    if value is not None and value < 0:
        raise BadUserInput(
            msg("Cannot be negative.", "No puede ser negativo.", "Não pode ser negativo."),
            field=field,
        )
    return value


def percent(field: str, value: float) -> float:
    if value is None or not 0 <= value <= 100:
        raise BadUserInput(
            msg(
                "Must be between 0 and 100.",
                "Debe estar entre 0 y 100.",
                "Deve estar entre 0 e 100.",
            ),
            field=field,
        )
    return float(value)


def date_range(start: date, end: date, *, field: str = "endDate") -> None:
    if end < start:
        raise BadUserInput(
            msg(
                "The end date is before the start date.",
                "La fecha de fin es anterior a la de inicio.",
                "A data de término é anterior à de início.",
            ),
            field=field,
        )


#: The parents whose dates bound their children's: (English, Spanish "de + the parent").
PARENTS = {
    "action plan": ("action plan", "del plan de acción", "do plano de ação"),
    "commitment": ("commitment", "del compromiso", "do compromisso"),
}


def within(
    start: date, end: date, outer_start: date, outer_end: date, *, outer: str, field: str
) -> None:
    """A child's dates must fall within its parent's (a milestone within its commitment)."""
    if start < outer_start or end > outer_end:
        en, es, pt = PARENTS[outer]
        raise BadUserInput(
            msg(
                f"The dates must fall within the {en}'s ({outer_start} to {outer_end}).",
                f"Las fechas deben estar dentro de las {es} ({outer_start} a {outer_end}).",
                f"As datas devem estar dentro das {pt} ({outer_start} a {outer_end}).",
            ),
            field=field,
        )
