"""Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents.

A client sends ``extensions.persistedQuery = {version: 1, sha256Hash}``:

- with no ``query``: the document registered under that hash runs, or the answer is
  ``PERSISTED_QUERY_NOT_FOUND`` (the client then sends the full query once);
- with the ``query``: its SHA-256 must be the hash (``BAD_USER_INPUT`` otherwise); it is stored
  under it (for ``persisted_query_ttl_seconds``) and runs.

Over POST and GET (Apollo's ``useGETForHashedQueries``). With ``trusted_documents`` on,
anonymous clients may only run documents registered beforehand by a municipality's admins
(``registerPersistedDocuments``), and only by hash. Documents are kept in this process's memory
on the embedded default and in Redis in production (``USINA_PERSISTED_QUERIES=redis``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from graphql import GraphQLError, parse

from core.errors import (
    BadUserInput,
    PersistedQueryNotFound,
    PersistedQueryRequired,
    ServiceUnavailable,
)
from core.i18n import msg
from core.outage import REDIS_DOWN, without_redis
from core.settings import Settings

MEMORY_ENTRIES = 10_000
#: Automatic persisted queries one municipality may add per document lifetime.
QUOTA = 1_000
#: The longest document kept (a portal's largest generated documents are a few KB).
MAX_DOCUMENT_CHARS = 65_536
MAX_REGISTERED = 100
#: The protocol's token, the same in every language: clients match on it.
NOT_FOUND = msg("PersistedQueryNotFound", "PersistedQueryNotFound", "PersistedQueryNotFound")


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class DocumentStore(Protocol):
    async def get(self, digest: str) -> tuple[str, bool] | None:
        """The document and whether it is trusted."""

    async def put(self, digest: str, document: str, *, trusted: bool) -> None: ...

    async def admit(self, tenant: str, quota: int) -> bool:
        """Count one more automatic document for ``tenant``; False once over ``quota``."""

    async def close(self) -> None: ...


@dataclass
class MemoryStore:
    entries: int = MEMORY_ENTRIES
    _documents: OrderedDict[str, tuple[str, bool]] = field(default_factory=OrderedDict)
    _admitted: dict[str, int] = field(default_factory=dict)

    async def get(self, digest: str) -> tuple[str, bool] | None:
        found = self._documents.get(digest)
        if found is not None:
            self._documents.move_to_end(digest)
        return found

    async def put(self, digest: str, document: str, *, trusted: bool) -> None:
        trusted = trusted or bool((self._documents.get(digest) or ("", False))[1])
        self._documents[digest] = (document, trusted)
        self._documents.move_to_end(digest)
        while len(self._documents) > self.entries:
            oldest = next((k for k, (_, kept) in self._documents.items() if not kept), None)
            if oldest is None:
                break
            del self._documents[oldest]

    async def admit(self, tenant: str, quota: int) -> bool:
        count = self._admitted.get(tenant, 0)
        if count >= quota:
            return False
        self._admitted[tenant] = count + 1
        return True

    async def close(self) -> None:
        return None


@dataclass
class RedisStore:
    client: Any
    prefix: str
    ttl_seconds: int

    async def get(self, digest: str) -> tuple[str, bool] | None:
        trusted, automatic = await without_redis(
            self.client.mget(f"{self.prefix}:pq:t:{digest}", f"{self.prefix}:pq:a:{digest}"),
            [None, None],  # not found: a client that has the document sends it
            "persisted query lookup",
        )
        if trusted is not None:
            return trusted.decode(), True
        if automatic is not None:
            return automatic.decode(), False
        return None

    async def put(self, digest: str, document: str, *, trusted: bool) -> None:
        if not trusted:  # automatic persisted queries: the next request sends it again
            await without_redis(
                self.client.set(f"{self.prefix}:pq:a:{digest}", document, ex=self.ttl_seconds),
                None,
                "persisted query",
            )
            return
        try:  # a registration must not be reported done when it was not
            await self.client.set(f"{self.prefix}:pq:t:{digest}", document)
        except REDIS_DOWN:
            raise ServiceUnavailable(
                msg(
                    "The document store cannot be reached right now; nothing was registered. "
                    "Try again shortly.",
                    "El almacén de documentos no responde en este momento; no se registró "
                    "nada. Reintente en unos instantes.",
                    "O armazenamento de documentos não responde neste momento; nada foi "
                    "registrado. Tente de novo em instantes.",
                )
            ) from None

    async def admit(self, tenant: str, quota: int) -> bool:
        key = f"{self.prefix}:pq:quota:{tenant}"

        async def count() -> int:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.ttl_seconds, nx=True)
                counted, _ = await pipe.execute()
            return int(counted)

        counted = await without_redis(count(), quota + 1, "persisted query quota")
        return counted <= quota

    async def close(self) -> None:
        await self.client.aclose()


def make_store(settings: Settings) -> DocumentStore:
    if settings.persisted_queries == "redis":
        client = aioredis.Redis.from_url(settings.redis_url)
        return RedisStore(client, settings.cache_prefix, settings.persisted_query_ttl_seconds)
    return MemoryStore()


def requested_hash(extensions: Any) -> str | None:
    """The ``sha256Hash`` of an APQ request, or ``None`` when it is not one."""
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not isinstance(persisted.get("sha256Hash"), str)
    ):
        raise BadUserInput(
            msg(
                "extensions.persistedQuery needs version 1 and a sha256Hash.",
                "extensions.persistedQuery requiere la versión 1 y un sha256Hash.",
                "extensions.persistedQuery requer a versão 1 e um sha256Hash.",
            ),
            field="extensions.persistedQuery",
        )
    return str(persisted["sha256Hash"]).lower()


@dataclass
class PersistedQueries:
    store: DocumentStore
    trusted_only: bool

    async def resolve(self, query: Any, extensions: Any, *, anonymous: bool) -> Any:
        """The document to run for one request (the request's own ``query`` otherwise)."""
        digest = requested_hash(extensions)
        if digest is None:
            if self.trusted_only and anonymous:
                raise _required()
            return query
        if query is None:
            found = await self.store.get(digest)
            if found is None:
                raise PersistedQueryNotFound(NOT_FOUND)
            document, trusted = found
            if self.trusted_only and anonymous and not trusted:
                raise _required()
            return document
        if not isinstance(query, str) or sha256(query) != digest:
            raise BadUserInput(
                msg(
                    "The query's SHA-256 is not extensions.persistedQuery.sha256Hash.",
                    "El SHA-256 de la consulta no es extensions.persistedQuery.sha256Hash.",
                    "O SHA-256 da consulta não é extensions.persistedQuery.sha256Hash.",
                ),
                field="extensions.persistedQuery.sha256Hash",
            )
        if self.trusted_only and anonymous:
            found = await self.store.get(digest)
            if found is None or not found[1]:
                raise _required()
        return query  # stored by ``remember`` once it has parsed, validated and been charged

    async def remember(self, query: Any, extensions: Any, tenant: str | None) -> None:
        """Keep an automatic persisted query's document, once the operation has parsed and
        validated and the caller's rate limit was charged for it (``graphql_schema/guards.py``):
        only in a request that names a municipality, at most ``QUOTA`` documents per
        municipality per lifetime of a document, each at most ``MAX_DOCUMENT_CHARS`` long. An
        unparseable or refused document is never stored, so anonymous callers cannot fill the
        Redis that also holds the jobs and the limiter."""
        if tenant is None or not isinstance(query, str) or len(query) > MAX_DOCUMENT_CHARS:
            return
        try:
            digest = requested_hash(extensions)
        except BadUserInput:
            return
        if digest is None:
            return
        if await self.store.get(digest) is not None:
            return
        if await self.store.admit(tenant, QUOTA):
            await self.store.put(digest, query, trusted=False)

    def check(self, documents: list[str]) -> list[str]:
        """The hashes of ``documents``, each a parseable GraphQL document, or
        ``BAD_USER_INPUT`` naming the first bad one."""
        if not 1 <= len(documents) <= MAX_REGISTERED:
            raise BadUserInput(
                msg(
                    f"Register between 1 and {MAX_REGISTERED} documents at a time.",
                    f"Registre entre 1 y {MAX_REGISTERED} documentos por vez.",
                    f"Registre entre 1 e {MAX_REGISTERED} documentos de cada vez.",
                ),
                field="documents",
            )
        for index, document in enumerate(documents):
            try:
                parse(document)
            except GraphQLError as error:
                raise BadUserInput(
                    msg(
                        f"Document {index + 1} is not valid GraphQL: {error.message}",
                        f"El documento {index + 1} no es GraphQL válido: {error.message}",
                        f"O documento {index + 1} não é GraphQL válido: {error.message}",
                    ),
                    field=f"documents.{index}",
                ) from None
        return [sha256(document) for document in documents]

    async def register(self, documents: list[str]) -> list[str]:
        """Trust ``documents`` (a portal's own queries); their hashes, in order."""
        digests = []
        for document in documents:
            digest = sha256(document)
            await self.store.put(digest, document, trusted=True)
            digests.append(digest)
        return digests


def _required() -> PersistedQueryRequired:
    return PersistedQueryRequired(
        msg(
            "Only registered documents may be run anonymously here; send a registered "
            "document's sha256Hash.",
            "Aquí solo se ejecutan de forma anónima documentos registrados; envíe el "
            "sha256Hash de un documento registrado.",
            "Aqui só se executam de forma anônima documentos registrados; envie o "
            "sha256Hash de um documento registrado.",
        )
    )
