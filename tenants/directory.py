"""The municipalities a process serves, read once and re-read only when they change.

Every request names a municipality, and reading its row from the database each time costs
more than answering a cached portal query. The directory keeps each row, and trusts it exactly
while its ``data_version`` is the municipality's current one: every change of a municipality
(its status, its portal origins, any content) commits a new data version
(``tenants/unit_of_work.py``), so a row whose version is current is the committed row.

The current versions come from :class:`DataVersions`:

- in memory (the embedded default): the unit of work's listener records each commit of this
  process at once; a version is trusted for ``ttl`` seconds (1 s), so a change committed by
  another process (the CLI) is seen within that time;
- in Redis (production): each commit publishes its version after committing (a set-if-greater,
  so an older read never overwrites a newer commit) and every process reads it there; a
  version not seen for ``ttl`` seconds (30 s) is read from the database again, which bounds
  what a process killed between its commit and its publish can leave behind.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis

from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from core.settings import Settings
from tenants.database import Database
from tenants.unit_of_work import Committed

SET_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local given = tonumber(ARGV[1])
if given > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return given end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return current
"""


class DataVersions(Protocol):
    async def current(self, tenant_id: uuid.UUID) -> int | None:
        """The municipality's current data version, or ``None``: read the database."""

    async def observe(self, tenant_id: uuid.UUID, version: int) -> None:
        """A version read from the database, or committed."""

    async def close(self) -> None: ...


@dataclass
class MemoryVersions:
    ttl: float = 1.0
    _seen: dict[uuid.UUID, tuple[int, float]] = field(default_factory=dict)

    async def current(self, tenant_id: uuid.UUID) -> int | None:
        found = self._seen.get(tenant_id)
        if found is None or time.monotonic() - found[1] > self.ttl:
            return None
        return found[0]

    async def observe(self, tenant_id: uuid.UUID, version: int) -> None:
        known = self._seen.get(tenant_id)
        if known is None or version >= known[0]:
            self._seen[tenant_id] = (version, time.monotonic())

    async def close(self) -> None:
        return None


@dataclass
class RedisVersions:
    client: Any
    prefix: str
    ttl: int = 30

    def __post_init__(self) -> None:
        self._set_max = self.client.register_script(SET_MAX)

    def _key(self, tenant_id: uuid.UUID) -> str:
        return f"{self.prefix}:dv:{tenant_id}"

    async def current(self, tenant_id: uuid.UUID) -> int | None:
        value = await self.client.get(self._key(tenant_id))
        return int(value) if value is not None else None

    async def observe(self, tenant_id: uuid.UUID, version: int) -> None:
        await self._set_max(keys=[self._key(tenant_id)], args=[version, self.ttl])

    async def close(self) -> None:
        await self.client.aclose()


def make_versions(settings: Settings) -> DataVersions:
    """Redis when asked, or when answers are cached in Redis (several processes share them)."""
    backend = settings.data_versions or (
        "redis" if settings.response_cache == "redis" else "memory"
    )
    if backend == "redis":
        return RedisVersions(aioredis.Redis.from_url(settings.redis_url), settings.cache_prefix)
    return MemoryVersions()


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

    async def on_commit(self, committed: Committed) -> None:
        """Unit-of-work listener: this process's commits are current at once."""
        if self.versions is not None and committed.data_version is not None:
            await self.versions.observe(committed.binding.tenant_id, committed.data_version)

    async def close(self) -> None:
        if self.versions is not None:
            await self.versions.close()
