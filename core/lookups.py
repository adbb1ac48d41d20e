"""Fetching one tenant-owned row by id, or ``NOT_FOUND``.

The session's isolation criteria apply, so a row of another municipality (or a draft the
principal may not see) is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import TenantOwned
from core.errors import NotFound
from core.i18n import msg

T = TypeVar("T", bound=TenantOwned)


async def get(
    session: AsyncSession, model: type[T], id_: uuid.UUID, *, field: str | None = None
) -> T:
    result = await session.execute(select(model).where(model.id == id_))
    found = result.scalar_one_or_none()
    if found is None:
        raise NotFound(
            msg(f"{model.__name__} not found.", f"{model.__name__} no encontrado."),
            field=field,
        )
    return found
