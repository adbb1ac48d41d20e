"""The municipalities a process serves, read once and re-read only when they change.

Every request names a municipality, and reading its row from the database each time costs
more than answering a cached portal query. The directory keeps each row, and trusts it exactly
while its ``data_version`` is the municipality's current one: every change of a municipality
(its status, its portal origins, any content) commits a new data version
(``tenants/unit_of_work.py``), so a row whose version is current is the committed row.

The current versions come from :mod:`tenants.versions`, where every unit of work publishes
its commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from tenants.database import Database
from tenants.versions import DataVersions


@dataclass
class MunicipalityDirectory:
    db: Database
    #: ``None``: no caching, every lookup reads the database.
    versions: DataVersions | None = None
    _by_slug: dict[str, Municipality] = field(default_factory=dict)

    async def find(self, slug: str) -> Municipality | None:
        cached = self._by_slug.get(slug)
        if (
            cached is not None
            and self.versions is not None
            and await self.versions.current(cached.id) == cached.data_version
        ):
            return cached
        async with self.db.session(None) as session:
            row = await municipalities.find_by_slug(session, slug)
        if row is None:
            self._by_slug.pop(slug, None)
            return None
        if self.versions is not None:
            await self.versions.observe(row.id, row.data_version)
            self._by_slug[slug] = row
        return row

    async def close(self) -> None:
        if self.versions is not None:
            await self.versions.close()
