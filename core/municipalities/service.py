"""Municipalities: validation and lookups. Creating one is provisioning (``tenants/``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import validation as v
from core.enums import Locale
from core.errors import BadUserInput, NotFound
from core.i18n import msg
from core.municipalities.models import Municipality


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
    try:
        locale = Locale(data.locale)
    except ValueError:
        raise BadUserInput(
            msg("Use one of es, en, pt.", "Use es, en o pt.", "Use es, en ou pt."), field="locale"
        ) from None
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
