"""Municipalities: validation and lookups. Creating one is provisioning (``tenants/``)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import validation as v
from core.audit import service as audit
from core.enums import Locale
from core.errors import BadUserInput, NotFound
from core.i18n import msg
from core.identity.principal import Principal
from core.municipalities.models import Municipality, MunicipalityLogo
from core.words import number


@dataclass(frozen=True)
class MunicipalityData:
    slug: str
    name: str
    country: str
    region: str | None = None
    population: int | None = None
    website: str | None = None
    locale: str = "es"
    timezone: str = "UTC"


def validate(data: MunicipalityData) -> dict[str, Any]:
    locale = _locale(data.locale)
    return {
        "slug": v.slug("slug", data.slug),
        "name": v.text("name", data.name, max_length=200),
        "country": v.country("country", data.country),
        "region": v.optional_text("region", data.region, max_length=200),
        "population": v.non_negative("population", data.population),
        "website": v.url("website", data.website),
        "locale": locale,
        "timezone": v.timezone("timezone", data.timezone),
    }


@dataclass(frozen=True)
class MunicipalityChanges:
    """What ``update`` changes: a field left ``None`` stays as it is; an empty string clears
    an optional text (the region, the website)."""

    name: str | None = None
    region: str | None = None
    population: int | None = None
    website: str | None = None
    locale: str | None = None
    timezone: str | None = None
    #: ``#rrggbb``; an empty string clears it.
    primary_color: str | None = None
    #: A new logo's bytes (PNG, JPEG or WebP); ``b""`` removes the logo.
    logo: bytes | None = None


#: A logo is small: portals show it in a header, e-mails at the top.
MAX_LOGO_BYTES = 512 * 1024
#: WCAG 2's contrast for normal text (AA): portals write white text on the primary colour.
MIN_CONTRAST = 4.5


def _luminance(color: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb``."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(color: str) -> float:
    return 1.05 / (_luminance(color) + 0.05)


def primary_color(value: str) -> str | None:
    """A primary colour: ``#rrggbb`` (lower case), dark enough for white text on it."""
    value = value.strip()
    if not value:
        return None
    if len(value) != 7 or value[0] != "#" or value[1:].strip("0123456789abcdefABCDEF"):
        raise BadUserInput(
            msg(
                f"The primary colour is written #rrggbb (e.g. #1d4ed8), not '{value[:20]}'.",
                f"El color principal se escribe #rrggbb (p. ej. #1d4ed8), no '{value[:20]}'.",
                f"A cor principal se escreve #rrggbb (p. ex. #1d4ed8), não '{value[:20]}'.",
            ),
            field="primaryColor",
        )
    value = value.lower()
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:

        def contrast(locale: str) -> str:
            return number(round(ratio, 2), locale)

        def minimum(locale: str) -> str:
            return number(MIN_CONTRAST, locale)

        raise BadUserInput(
            msg(
                f"White text on {value} has a contrast of {contrast('en')}:1, under the "
                f"{minimum('en')}:1 that legible text needs (WCAG AA); choose a darker colour.",
                f"El texto blanco sobre {value} tiene un contraste de {contrast('es')}:1, menor "
                f"que el {minimum('es')}:1 que necesita un texto legible (WCAG AA); elija un "
                "color más oscuro.",
                f"O texto branco sobre {value} tem um contraste de {contrast('pt')}:1, menor "
                f"que o {minimum('pt')}:1 que um texto legível precisa (WCAG AA); escolha uma "
                "cor mais escura.",
            ),
            field="primaryColor",
        )
    return value


def _logo(content: bytes, by: Principal) -> MunicipalityLogo:
    from core.files.service import sniff

    if len(content) > MAX_LOGO_BYTES:
        raise BadUserInput(
            msg(
                f"A logo has at most {number(MAX_LOGO_BYTES, 'en')} bytes; this one has "
                f"{number(len(content), 'en')}.",
                f"Un logo tiene como máximo {number(MAX_LOGO_BYTES, 'es')} bytes; este tiene "
                f"{number(len(content), 'es')}.",
                f"Um logotipo tem no máximo {number(MAX_LOGO_BYTES, 'pt')} bytes; este tem "
                f"{number(len(content), 'pt')}.",
            ),
            field="logo",
        )
    media_type = sniff(content)
    if media_type not in ("image/png", "image/jpeg", "image/webp"):
        raise BadUserInput(
            msg(
                "A logo is a PNG, JPEG or WebP image.",
                "Un logo es una imagen PNG, JPEG o WebP.",
                "Um logotipo é uma imagem PNG, JPEG ou WebP.",
            ),
            field="logo",
        )
    return MunicipalityLogo(
        sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        size=len(content),
        content=content,
        uploaded_by=by.subject,
    )


def _locale(value: str) -> Locale:
    try:
        return Locale(value)
    except ValueError:
        raise BadUserInput(
            msg("Use one of es, en, pt.", "Use es, en o pt.", "Use es, en ou pt."), field="locale"
        ) from None


async def update(
    session: AsyncSession, by: Principal, municipality_id: uuid.UUID, changes: MunicipalityChanges
) -> Municipality:
    """Edit a municipality after its creation (its slug and country stay: links and
    identifiers name them); audited, before and after."""
    municipality = await get(session, municipality_id)
    values: dict[str, Any] = {}
    if changes.name is not None:
        values["name"] = v.text("name", changes.name, max_length=200)
    if changes.region is not None:
        values["region"] = v.optional_text("region", changes.region, max_length=200)
    if changes.population is not None:
        values["population"] = v.non_negative("population", changes.population)
    if changes.website is not None:
        values["website"] = v.url("website", changes.website or None)
    if changes.locale is not None:
        values["locale"] = _locale(changes.locale)
    if changes.timezone is not None:
        values["timezone"] = v.timezone("timezone", changes.timezone)
    if changes.primary_color is not None:
        values["primary_color"] = primary_color(changes.primary_color)
    logo = _logo(changes.logo, by) if changes.logo else None
    if changes.logo is not None:
        values["logo_sha256"] = logo.sha256 if logo else None
    if not values:
        return municipality
    before = audit.snapshot(municipality)
    if changes.logo is not None:
        # One logo at a time, in the municipality's own rows (the session is bound to it).
        await session.execute(
            delete(MunicipalityLogo).where(MunicipalityLogo.tenant_id == municipality.id)
        )
        if logo is not None:
            session.add(logo)
    for name, value in values.items():
        setattr(municipality, name, value)
    await session.flush()
    audit.record(session, by, "municipality.update", municipality, before=before)
    return municipality


async def find_by_slug(session: AsyncSession, slug: str) -> Municipality | None:
    result = await session.execute(select(Municipality).where(Municipality.slug == slug))
    return result.scalar_one_or_none()


async def get(session: AsyncSession, municipality_id: uuid.UUID) -> Municipality:
    found = await session.get(Municipality, municipality_id)
    if found is None:
        raise NotFound(
            msg("Municipality not found.", "Municipio no encontrado.", "Município não encontrado.")
        )
    return found


async def get_by_slug(session: AsyncSession, slug: str) -> Municipality:
    found = await find_by_slug(session, slug)
    if found is None:
        raise NotFound(
            msg(
                f"No municipality '{slug}'.",
                f"No existe el municipio '{slug}'.",
                f"Não existe o município '{slug}'.",
            )
        )
    return found
