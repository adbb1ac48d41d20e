"""Per-municipality plugin activation rows: enabled flag, settings, settings version.

Rows only; validating settings against a plugin's schema is the plugin layer's job
(``plugins/activation.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped


class PluginActivation(Timestamped, TenantOwned, Base):
    __tablename__ = "plugin_activations"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    plugin: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Incremented on every change, so caches keyed by (municipality, version) stay correct.
    version: Mapped[int] = mapped_column(default=0)


async def activations(session: AsyncSession) -> dict[str, PluginActivation]:
    """The bound municipality's activation rows, by plugin name."""
    rows = await session.execute(select(PluginActivation))
    return {row.plugin: row for row in rows.scalars()}
