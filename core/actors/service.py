"""Actors: organisations and offices of the municipality's ecosystem."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.actors.models import Actor
from core.audit import service as audit
from core.enums import ActorKind
from core.errors import Conflict
from core.i18n import msg
from core.identity.principal import Principal


@dataclass(frozen=True)
class ActorData:
    kind: ActorKind
    name: str
    contact_name: str | None = None
    contact_email: str | None = None
    contact_public: bool = False


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "name" in out:
        out["name"] = v.text("name", out["name"], max_length=300)
    if "contact_name" in out:
        out["contact_name"] = v.optional_text("contactName", out["contact_name"], max_length=200)
    if "contact_email" in out:
        out["contact_email"] = v.email("contactEmail", out["contact_email"])
    return out


async def create(session: AsyncSession, by: Principal, data: ActorData) -> Actor:
    row = Actor(**_clean(data.__dict__))
    await _require_unique_name(session, row.name)
    session.add(row)
    await session.flush()
    audit.record(session, by, "actor.create", row)
    return row


async def update(
    session: AsyncSession, by: Principal, actor_id: uuid.UUID, changes: dict[str, Any]
) -> Actor:
    row = await lookups.get(session, Actor, actor_id, field="id")
    before = audit.snapshot(row)
    cleaned = _clean(changes)
    if "name" in cleaned and cleaned["name"].casefold() != row.name.casefold():
        await _require_unique_name(session, cleaned["name"], other_than=row.id)
    for key, value in cleaned.items():
        setattr(row, key, value)
    await session.flush()
    audit.record(session, by, "actor.update", row, before=before)
    return row


async def _require_unique_name(
    session: AsyncSession, name: str, *, other_than: uuid.UUID | None = None
) -> None:
    """One actor per name in a municipality (letter case aside): a second "Secretaría de
    Hacienda" would split its commitments and its forum seats between two records."""
    query = select(Actor.id).where(func.lower(Actor.name) == name.lower())
    if other_than is not None:
        query = query.where(Actor.id != other_than)
    if (await session.execute(query)).first() is not None:
        raise Conflict(
            msg(
                f"There is already an actor named '{name}'.",
                f"Ya existe un actor llamado '{name}'.",
                f"Já existe um ator chamado '{name}'.",
            ),
            field="name",
        )
