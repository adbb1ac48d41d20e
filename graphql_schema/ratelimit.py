"""Rate limiting per (principal, municipality) in Redis, as a points bucket.

Each operation costs its rate-limit cost (``graphql_schema/limits.py``). A bucket holds
``rate_limit_points`` (anonymous clients, keyed by address: ``rate_limit_anonymous_points``)
and refills continuously over ``rate_limit_window_seconds``. An exhausted bucket answers
HTTP 429 with ``Retry-After`` and the code ``RATE_LIMITED``; nothing runs. The bucket is one
Lua script, atomic across web replicas, on the Redis server's clock. If Redis cannot be
reached the request is let through and the failure logged: an outage of the limiter must not
take the API down with it.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.responses import Response

from core import observability as obs
from core.errors import RateLimited
from core.i18n import msg
from core.identity.principal import Principal
from core.settings import Settings

log = logging.getLogger("usina.ratelimit")

BUCKET = """
local capacity = tonumber(ARGV[1])
local refill_per_ms = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * refill_per_ms)
local allowed = 0
local wait_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait_ms = math.ceil((cost - tokens) / refill_per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / refill_per_ms) + 1000)
return {allowed, tostring(tokens), wait_ms}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds

    def report(self) -> dict[str, int]:
        return {"rateLimit": self.limit, "rateLimitRemaining": self.remaining}


class RateLimiter:
    def __init__(self, url: str, *, prefix: str = "usina:rl") -> None:
        self.redis = aioredis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.prefix = prefix
        self.script = self.redis.register_script(BUCKET)

    async def take(self, key: str, cost: int, *, capacity: int, window_seconds: int) -> Decision:
        refill_per_ms = capacity / (window_seconds * 1000)
        try:
            allowed, tokens, wait_ms = await self.script(
                keys=[f"{self.prefix}:{key}"], args=[capacity, refill_per_ms, cost]
            )
        except (RedisError, OSError):
            log.exception("rate limiter unavailable; letting the request through")
            return Decision(True, capacity, capacity, 0)
        return Decision(
            allowed=bool(allowed),
            limit=capacity,
            remaining=max(0, math.floor(float(tokens))),
            retry_after=max(1, math.ceil(int(wait_ms) / 1000)) if not allowed else 0,
        )

    async def close(self) -> None:
        await self.redis.aclose()


async def charge(
    limiter: RateLimiter | None,
    settings: Settings,
    principal: Principal,
    tenant: str,
    client: str,
    cost: int,
    response: Response | None = None,
) -> dict[str, int] | None:
    """Take ``cost`` from the caller's bucket (anonymous callers: per address, a smaller one);
    the bucket's report for ``extensions.cost``, or ``RATE_LIMITED`` (429, ``Retry-After`` on
    ``response``). Executions and cache hits are charged alike."""
    obs.TENANT_COST.add(tenant, cost)
    if limiter is None:
        return None
    if principal.is_anonymous:
        key, capacity = f"{tenant}:ip:{client}", settings.rate_limit_anonymous_points
    else:
        # Who vouched for the subject belongs to the key: a provider's ``sub`` is only
        # unique at that provider (a participant's token must not share an admin's bucket).
        caller = hashlib.sha256(f"{principal.issuer}\n{principal.subject}".encode()).hexdigest()
        key, capacity = f"{tenant}:sub:{caller[:32]}", settings.rate_limit_points
    decision = await limiter.take(
        key, cost, capacity=capacity, window_seconds=settings.rate_limit_window_seconds
    )
    if not decision.allowed:
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(decision.retry_after)
        raise RateLimited(
            msg(
                f"Rate limit exceeded; retry in {decision.retry_after} s.",
                f"Límite de uso excedido; reintente en {decision.retry_after} s.",
                f"Limite de uso excedido; tente de novo em {decision.retry_after} s.",
            ),
            details={"retryAfter": decision.retry_after, "cost": cost},
        )
    return decision.report()
