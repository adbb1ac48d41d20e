"""``Idempotency-Key``: a retried request writes nothing and gets the first answer.

A client that sends ``Idempotency-Key: <key>`` with a POST (an integration retrying after a
timeout or a 503's ``Retry-After``) is answered, for 24 hours (``idempotency_ttl_seconds``),
with the first answer given to that key, byte for byte, with ``Idempotent-Replayed: true``,
and nothing runs again. Keys are per municipality and per caller (issuer and subject; the
anonymous public by address), so one caller's key never answers another. The same key with
another body is ``CONFLICT`` (409, the key was reused by mistake); the same key while its
first request is still running is ``CONFLICT`` (409) with ``Retry-After``.

An answer is kept when its request committed a write, or when it is final without one (a
``BAD_USER_INPUT``, a ``FORBIDDEN``). A request stopped before it committed anything
(``DEADLINE_EXCEEDED``, ``SERVICE_UNAVAILABLE``, ``RATE_LIMITED``, an unexpected error) keeps
nothing, so that its retry runs. Keys live in this process's memory on the embedded default and
in Redis in production (``USINA_IDEMPOTENCY_STORE``), where every replica sees them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from core.errors import BadUserInput, Conflict
from core.i18n import msg
from core.outage import without_redis
from core.settings import Settings

HEADER = "idempotency-key"
#: Codes of an answer given before anything committed: its retry must run.
TRANSIENT = frozenset(
    {"DEADLINE_EXCEEDED", "SERVICE_UNAVAILABLE", "RATE_LIMITED", "INTERNAL_SERVER_ERROR"}
)
MAX_KEY_LENGTH = 255
#: What a claim holds while its first request runs.
RUNNING = "running"


@dataclass(frozen=True)
class Kept:
    """A first answer, as it was sent."""

    status: int
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def dump(self, fingerprint: str) -> str:
        return json.dumps(
            {
                "fingerprint": fingerprint,
                "status": self.status,
                "body": self.body.decode("utf-8"),
                "media_type": self.media_type,
                "headers": self.headers,
            }
        )

    @classmethod
    def load(cls, data: dict[str, Any]) -> Kept:
        return cls(data["status"], data["body"].encode(), data["media_type"], data["headers"])


class Store(Protocol):
    async def claim(self, key: str, fingerprint: str, ttl: int) -> tuple[str, Kept | None]:
        """``("new", None)``: the key is this request's now; ``("kept", answer)``: the first
        answer; ``("running", None)``: its first request has not answered yet;
        ``("other", None)``: the key was used with another body."""

    async def keep(self, key: str, fingerprint: str, answer: Kept, ttl: int) -> None: ...

    async def release(self, key: str) -> None: ...

    async def close(self) -> None: ...


@dataclass
class MemoryStore:
    _entries: dict[str, tuple[float, str, Kept | None]] = field(default_factory=dict)

    async def claim(self, key: str, fingerprint: str, ttl: int) -> tuple[str, Kept | None]:
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and found[0] <= now:
            found = None
        if found is None:
            if len(self._entries) > 100_000:  # forget the expired ones now and then
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[key] = (now + ttl, fingerprint, None)
            return "new", None
        _, first, answer = found
        if first != fingerprint:
            return "other", None
        return ("running", None) if answer is None else ("kept", answer)

    async def keep(self, key: str, fingerprint: str, answer: Kept, ttl: int) -> None:
        self._entries[key] = (time.monotonic() + ttl, fingerprint, answer)

    async def release(self, key: str) -> None:
        self._entries.pop(key, None)

    async def close(self) -> None:
        return None


@dataclass
class RedisStore:
    client: Any
    prefix: str

    def _key(self, key: str) -> str:
        return f"{self.prefix}:idem:{key}"

    async def claim(self, key: str, fingerprint: str, ttl: int) -> tuple[str, Kept | None]:
        running = json.dumps({"fingerprint": fingerprint, "state": RUNNING})
        claimed = await self.client.set(self._key(key), running, nx=True, ex=ttl)
        if claimed:
            return "new", None
        raw = await self.client.get(self._key(key))
        if raw is None:  # expired in between: claim it again
            return await self.claim(key, fingerprint, ttl)
        data = json.loads(raw)
        if data["fingerprint"] != fingerprint:
            return "other", None
        if data.get("state") == RUNNING:
            return "running", None
        return "kept", Kept.load(data)

    async def keep(self, key: str, fingerprint: str, answer: Kept, ttl: int) -> None:
        await without_redis(
            self.client.set(self._key(key), answer.dump(fingerprint), ex=ttl),
            None,
            "idempotent answer",
        )

    async def release(self, key: str) -> None:
        await without_redis(self.client.delete(self._key(key)), None, "idempotency key")

    async def close(self) -> None:
        await self.client.aclose()


def make_store(settings: Settings) -> Store:
    kind = settings.idempotency_store or ("redis" if settings.workers == "redis" else "memory")
    if kind == "redis":
        return RedisStore(aioredis.Redis.from_url(settings.redis_url), settings.cache_prefix)
    return MemoryStore()


def scoped_key(given: str, tenant: str | None, caller: str) -> str:
    """The stored key: the client's key within its municipality and caller."""
    if not (0 < len(given) <= MAX_KEY_LENGTH) or not given.isascii() or not given.isprintable():
        raise BadUserInput(
            msg(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
                f"Idempotency-Key debe tener de 1 a {MAX_KEY_LENGTH} caracteres ASCII imprimibles.",
                f"Idempotency-Key deve ter de 1 a {MAX_KEY_LENGTH} caracteres ASCII imprimíveis.",
            ),
            field="Idempotency-Key",
        )
    material = json.dumps([tenant, caller, given])
    return hashlib.sha256(material.encode()).hexdigest()


def fingerprint(body: bytes, content_type: str) -> str:
    return hashlib.sha256(content_type.encode() + b"\n" + body).hexdigest()


def reused() -> Conflict:
    return Conflict(
        msg(
            "This Idempotency-Key was already used with another request body.",
            "Esta Idempotency-Key ya se usó con otro cuerpo de solicitud.",
            "Esta Idempotency-Key já foi usada com outro corpo de solicitação.",
        ),
        field="Idempotency-Key",
    )


def still_running() -> Conflict:
    return Conflict(
        msg(
            "The first request with this Idempotency-Key has not finished yet; retry shortly.",
            "La primera solicitud con esta Idempotency-Key aún no terminó; reintente en "
            "unos instantes.",
            "A primeira solicitação com esta Idempotency-Key ainda não terminou; tente de "
            "novo em instantes.",
        ),
        field="Idempotency-Key",
        details={"retryAfter": 1},
    )


def final(status: int, body: bytes, committed: bool) -> bool:
    """Whether an answer is kept: a committed write always; otherwise only an answer that a
    retry would give again (no transient code, no 5xx)."""
    if committed:
        return True
    if status >= 500 or status == 429:
        return False
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    answers = data if isinstance(data, list) else [data]
    for answer in answers:
        for error in (answer.get("errors") or []) if isinstance(answer, dict) else []:
            if (error.get("extensions") or {}).get("code") in TRANSIENT:
                return False
    return True


async def shielded(work: Any) -> Any:
    """Bookkeeping that must finish even when the request is cancelled."""
    return await asyncio.shield(work)
