"""What a process does when Redis (the shared caches, the data versions, the broker) cannot be
reached: it goes on without it. Reads are answered from the database, uncached; a data version
not published ages out (``tenants/versions.py``); a job not sent stays QUEUED in the outbox and
the periodic sweep sends it when Redis is back. Only the broker's own workers wait for it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from redis.exceptions import RedisError

log = logging.getLogger("usina.outage")

T = TypeVar("T")

#: What redis-py raises when the server is down, unreachable or drops the connection.
REDIS_DOWN = (RedisError, OSError)


async def without_redis(call: Awaitable[T], default: T, what: str) -> T:
    """``await call``, or ``default`` when Redis cannot be reached (logged, not raised)."""
    try:
        return await call
    except REDIS_DOWN as error:
        log.warning("Redis unreachable (%s): %s; going on without it", what, error)
        return default
