"""Municipalities: validation and lookups. Creating one is provisioning (``tenants/``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import validation as v
from core.audit import service as audit
from core.enums import Locale
from core.errors import BadUserInput, NotFound
from core.i18n import msg
from core.identity.principal import Principal
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
    if not values:
        return municipality
    before = audit.snapshot(municipality)
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
