"""Cacheable anonymous reads: HTTP caching (ETag, 304, Cache-Control) and a response cache.

An anonymous query bound to a municipality answers the same body for as long as the
municipality's data version (bumped by the unit of work on every committed change, whoever
makes it) stays the same. Its key is a hash of (municipality, data version, document, variables,
operation name, language, response media type):

- it is the ``ETag``; ``If-None-Match`` with it answers 304 before anything executes;
- it keys the response cache (this process's memory, or Redis shared by every process): a hit
  is served before GraphQL execution; concurrent misses of one key execute once (single
  flight, per process). A write moves the data version, so the next read has another key: no
  stale answer after a commit, in any process, without invalidating anything.

Only error-free answers are stored. Signed-in callers, mutations and batches are never cached
(``Cache-Control: private, no-store``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response

from core.errors import UsinaError
from core.outage import without_redis
from core.settings import Settings
from core.text import first_bad_text
from graphql_schema.authentication import Identity, locale_of
from graphql_schema.bodies import DECODED, decode_body
from graphql_schema.documents import parsed
from graphql_schema.errors import wants_graphql_response
from graphql_schema.persisted import PersistedQueries

NO_STORE = "private, no-store"
#: Scope key: the document a cacheable request's persisted query resolved to.
RESOLVED = "usina.document"
VARY = "Accept, Accept-Language, Authorization, Origin, X-Tenant"


@dataclass(frozen=True)
class Cached:
    status: int
    media_type: str
    body: bytes
    #: The rate-limit cost of executing it: a hit is charged the same.
    cost: int = 1


class ResponseStore(Protocol):
    async def get(self, key: str) -> Cached | None: ...

    async def put(self, key: str, value: Cached) -> None: ...

    async def close(self) -> None: ...


@dataclass
class MemoryResponses:
    entries: int
    _items: OrderedDict[str, Cached] = field(default_factory=OrderedDict)

    async def get(self, key: str) -> Cached | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    async def put(self, key: str, value: Cached) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)

    async def close(self) -> None:
        return None


@dataclass
class RedisResponses:
    client: Any
    prefix: str
    ttl_seconds: int

    async def get(self, key: str) -> Cached | None:
        raw = await without_redis(self.client.get(f"{self.prefix}:rc:{key}"), None, "cache read")
        if raw is None:  # a miss, or Redis away: the request is executed
            return None
        # "<status> <cost>\n<media type>\n<body>"
        head, media_type, body = raw.split(b"\n", 2)
        status, cost = head.split(b" ")
        return Cached(int(status), media_type.decode(), body, int(cost))

    async def put(self, key: str, value: Cached) -> None:
        raw = f"{value.status} {value.cost}\n{value.media_type}\n".encode() + value.body
        await without_redis(
            self.client.set(f"{self.prefix}:rc:{key}", raw, ex=self.ttl_seconds), None, "caching"
        )

    async def close(self) -> None:
        await self.client.aclose()


def make_responses(settings: Settings) -> ResponseStore | None:
    if settings.response_cache == "off":
        return None
    if settings.response_cache == "redis":
        client = aioredis.Redis.from_url(settings.redis_url)
        return RedisResponses(client, settings.cache_prefix, settings.response_cache_ttl_seconds)
    return MemoryResponses(settings.response_cache_entries)


def is_query(document: str, operation_name: str | None, max_tokens: int = 10_000) -> bool:
    try:
        document_node = parsed(document, max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document_node, operation_name)
    return operation is not None and operation.operation is OperationType.QUERY


def _shareable(body: bytes) -> tuple[bytes, int]:
    """The body without what belongs to its first caller (their rate-limit bucket), and the
    rate-limit cost it reports."""
    if b'"rateLimit' not in body:
        return body, 1
    data = json.loads(body)
    cost = (data.get("extensions") or {}).get("cost") or {}
    for key in [k for k in cost if k.startswith("rateLimit") and k != "rateLimitCost"]:
        del cost[key]
    shared = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return shared, int(cost.get("rateLimitCost") or 1)


def _with_report(body: bytes, report: dict[str, int] | None) -> bytes:
    """A cached body with this caller's own rate-limit report in ``extensions.cost``."""
    if not report:
        return body
    data = json.loads(body)
    data.setdefault("extensions", {}).setdefault("cost", {}).update(report)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Plan:
    """How one cacheable request is keyed."""

    key: str
    #: The document and the extensions it came with: a hit keeps an automatic persisted
    #: query's document as an execution does (it ran, validated and charged, to be cached).
    document: str = field(default="", compare=False)
    extensions: Any = field(default=None, compare=False)
    tenant: str | None = field(default=None, compare=False)

    @property
    def etag(self) -> str:
        return f'"{self.key[:40]}"'


def _request_data(request: Request) -> dict[str, Any] | None:
    if request.method == "GET":
        params = request.query_params
        try:
            return {
                "query": params.get("query"),
                "variables": json.loads(params["variables"]) if params.get("variables") else None,
                "operationName": params.get("operationName"),
                "extensions": json.loads(params["extensions"])
                if params.get("extensions")
                else None,
            }
        except ValueError:
            return None
    body = getattr(request, "_body", None)
    if not body or "json" not in request.headers.get("content-type", ""):
        return None
    try:
        data = decode_body(body)
    except (UsinaError, HTTPException):
        return None  # refused by the view
    DECODED.set((body, data))  # the view's parsing takes it from here
    return data if isinstance(data, dict) else None  # a batch is not cached


def _well_formed(data: dict[str, Any]) -> bool:
    return (
        isinstance(data.get("query"), str | None)
        and isinstance(data.get("variables"), dict | None)
        and isinstance(data.get("operationName"), str | None)
        and isinstance(data.get("extensions"), dict | None)
    )


@dataclass
class HttpCache:
    settings: Settings
    responses: ResponseStore | None
    persisted: PersistedQueries
    _flights: dict[str, asyncio.Future[None]] = field(default_factory=dict)

    @property
    def cache_control(self) -> str:
        return (
            f"public, max-age={self.settings.http_cache_max_age_seconds}, "
            f"stale-while-revalidate={self.settings.http_cache_stale_seconds}"
        )

    async def plan(self, request: Request, identity: Identity) -> Plan | None:
        """The key of an anonymous query bound to a municipality; ``None``: not cacheable."""
        tenant = identity.tenant
        if not identity.principal.is_anonymous or tenant is None:
            return None
        data = _request_data(request)
        if data is None or not _well_formed(data):
            return None  # strawberry or the view refuses it, uncached
        query = data.get("query")
        if (isinstance(query, str) and len(query) > self.settings.max_query_chars) or (
            first_bad_text(data) is not None
        ):
            return None  # the view refuses it
        try:
            document = await self.persisted.resolve(
                data.get("query"), data.get("extensions"), anonymous=True
            )
        except UsinaError:
            return None  # answered (refused) by the view, uncached
        # Resolved once: the view's parsing takes it from here rather than asking the store again.
        request.scope[RESOLVED] = document
        operation_name = data.get("operationName")
        if (
            not isinstance(document, str)
            or len(document) > self.settings.max_query_chars  # refused by the view
            or not is_query(document, operation_name, self.settings.max_query_tokens)
        ):
            return None
        material = json.dumps(
            [
                str(tenant.municipality.id),
                tenant.municipality.data_version,
                hashlib.sha256(document.encode()).hexdigest(),
                data.get("variables"),
                operation_name,
                locale_of(request.scope, request.headers.get("accept-language")),
                wants_graphql_response(request.headers.get("accept")),
                # Links in the answer start with it: an answer built for one host (a forged
                # Host header, when no public URL is configured) never reaches another's.
                self.settings.link_base(str(request.base_url)),
            ],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return Plan(
            hashlib.sha256(material.encode()).hexdigest(),
            document,
            data.get("extensions"),
            tenant.binding.slug,
        )

    def not_modified(self, request: Request, plan: Plan) -> Response | None:
        given = request.headers.get("if-none-match")
        if given is None:
            return None
        tags = {t.strip().removeprefix("W/") for t in given.split(",")}
        if plan.etag not in tags and "*" not in tags:
            return None
        return Response(status_code=304, headers=self.headers(plan))

    def headers(self, plan: Plan) -> dict[str, str]:
        return {"ETag": plan.etag, "Cache-Control": self.cache_control, "Vary": VARY}

    async def serve(
        self,
        plan: Plan,
        execute: Callable[[], Awaitable[Response]],
        charge: Callable[[int], Awaitable[dict[str, int] | None]],
    ) -> tuple[Response, str]:
        """The answer for ``plan``: from the cache (charged to the caller's rate limit like an
        execution), or executed once and stored. Returns the response and ``hit`` or ``miss``."""
        if self.responses is None:
            return self._decorated(await execute(), plan), "miss"
        found = await self.responses.get(plan.key)
        if found is None and (flight := self._flights.get(plan.key)) is not None:
            await asyncio.shield(flight)  # another request of this process is computing it
            found = await self.responses.get(plan.key)
        if found is not None:
            return self._from(found, plan, await charge(found.cost)), "hit"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flights[plan.key] = future
        try:
            response = await execute()
            body = bytes(response.body) if hasattr(response, "body") else b""
            if response.status_code == 200 and b'"errors"' not in body:
                media = response.headers.get("content-type", "application/json")
                shared, cost = _shareable(body)
                await self.responses.put(plan.key, Cached(200, media, shared, cost))
            return self._decorated(response, plan), "miss"
        finally:
            self._flights.pop(plan.key, None)
            future.set_result(None)

    def _from(self, cached: Cached, plan: Plan, report: dict[str, int] | None) -> Response:
        body = _with_report(cached.body, report)
        response = Response(body, status_code=cached.status, headers=self.headers(plan))
        response.headers["content-type"] = cached.media_type
        return response

    def _decorated(self, response: Response, plan: Plan) -> Response:
        body = bytes(getattr(response, "body", b""))
        if response.status_code == 200 and b'"errors"' not in body:
            response.headers.update(self.headers(plan))
        else:
            response.headers["Cache-Control"] = NO_STORE
        return response

    async def close(self) -> None:
        if self.responses is not None:
            await self.responses.close()
