"""Each municipality's current data version, as every process of a deployment learns it.

The unit of work publishes each commit's version after committing (``tenants/unit_of_work.py``),
whoever writes: a request, a job, the CLI. Readers (the municipality directory, and through it
the response cache's keys) trust what they find here:

- in memory (the embedded default): a version is trusted for ``ttl`` seconds (1 s), so a change
  committed by another process (the CLI) is seen within that time;
- in Redis (production): a set-if-greater, so an older read never hides a newer commit; a
  version not refreshed for ``ttl`` seconds (30 s) is read from the database again, which bounds
  what a process killed between its commit and its publish can leave behind.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis

from core.outage import without_redis
from core.settings import Settings

SET_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local given = tonumber(ARGV[1])
if given > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return given end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return current
"""


class DataVersions(Protocol):
    #: Whether every event loop of the process may use this object. An asyncio Redis client
    #: belongs to the loop that first used its connections: the embedded worker's loop makes
    #: its own (``workers/runtime.py``) and closes it there.
    any_loop: bool

    async def current(self, tenant_id: uuid.UUID) -> int | None:
        """The municipality's current data version, or ``None``: read the database."""

    async def observe(self, tenant_id: uuid.UUID, version: int) -> None:
        """A version read from the database, or committed."""

    async def close(self) -> None: ...


@dataclass
class MemoryVersions:
    ttl: float = 1.0
    any_loop: bool = True
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
    any_loop: bool = False

    def __post_init__(self) -> None:
        self._set_max = self.client.register_script(SET_MAX)

    def _key(self, tenant_id: uuid.UUID) -> str:
        return f"{self.prefix}:dv:{tenant_id}"

    async def current(self, tenant_id: uuid.UUID) -> int | None:
        value = await without_redis(self.client.get(self._key(tenant_id)), None, "data version")
        return int(value) if value is not None else None  # None: the database is asked

    async def observe(self, tenant_id: uuid.UUID, version: int) -> None:
        await without_redis(
            self._set_max(keys=[self._key(tenant_id)], args=[version, self.ttl]),
            None,
            "publishing a data version",
        )

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
