"""The GraphQL HTTP view: strawberry's ASGI view with Usina's context and GraphiQL page."""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from core import observability as obs
from core.errors import (
    Forbidden,
    QueryTooComplex,
    RequestTooLarge,
    Unauthenticated,
    UsinaError,
)
from core.files.store import FileStore, make_store
from core.i18n import msg
from core.identity.roles import Permission
from core.identity.tokens import TokenService
from core.settings import Settings
from core.text import refuse_bad_text
from graphql_schema import ide, idempotency, ratelimit
from graphql_schema.authentication import RETRY_AFTER, identity_of, locale_of, past_deadline
from graphql_schema.bodies import decode_body, encode_body
from graphql_schema.bulkhead import Bulkhead
from graphql_schema.caching import NO_STORE, RESOLVED, HttpCache
from graphql_schema.context import Context
from graphql_schema.errors import (
    GRAPHQL_RESPONSE,
    format_error,
    refusal,
    request_error_status,
    wants_graphql_response,
)
from graphql_schema.persisted import PersistedQueries
from graphql_schema.ratelimit import RateLimiter
from plugins.manager import PluginRegistry
from tenants.database import Database
from tenants.unit_of_work import COMMIT_WATCH, UnitOfWork

PORTAL_QUERY = (Path(__file__).parent / "portal.graphql").read_text()
#: The scope of the request being handled (strawberry's parsing hook is given no scope).
_SCOPE: ContextVar[Any] = ContextVar("usina_scope", default=None)
HTTP_ERROR_CODES = {"Too many operations": "QUERY_TOO_COMPLEX"}
#: Refusals that are about the GraphQL request itself (persisted queries, bad extensions).
REQUEST_CODES = frozenset(
    {"PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_REQUIRED", "BAD_USER_INPUT", "QUERY_TOO_COMPLEX"}
)
#: strawberry's plain-text refusals, in the three languages.
HTTP_ERROR_TEXTS = {
    "Unable to parse request body as JSON": msg(
        "The request body is not valid JSON.",
        "El cuerpo de la solicitud no es un JSON válido.",
        "O corpo da solicitação não é um JSON válido.",
    ),
    "Unsupported content type": msg(
        "Unsupported content type: send application/json or multipart/form-data.",
        "Tipo de contenido no admitido: envíe application/json o multipart/form-data.",
        "Tipo de conteúdo não suportado: envie application/json ou multipart/form-data.",
    ),
    "No GraphQL query found in the request": msg(
        "The request has no GraphQL query.",
        "La solicitud no tiene una consulta GraphQL.",
        "A solicitação não tem uma consulta GraphQL.",
    ),
    "Too many operations": msg(
        "The batch has too many operations.",
        "El lote tiene demasiadas operaciones.",
        "O lote tem operações demais.",
    ),
    "Unable to parse the multipart body": msg(
        "The multipart body cannot be read.",
        "El cuerpo multipart no se puede leer.",
        "O corpo multipart não pode ser lido.",
    ),
    "File(s) missing in form data": msg(
        "A file named in the map is missing from the form.",
        "Falta en el formulario un archivo nombrado en el mapa.",
        "Falta no formulário um arquivo nomeado no mapa.",
    ),
    "GraphQL only supports GET and POST requests.": msg(
        "GraphQL is served over GET and POST only.",
        "GraphQL se sirve solo por GET y POST.",
        "O GraphQL é servido só por GET e POST.",
    ),
}


class UsinaGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        db: Database,
        settings: Settings,
        tokens: TokenService,
        plugins: PluginRegistry,
        rate_limiter: RateLimiter | None = None,
        uow: UnitOfWork,
        persisted: PersistedQueries,
        http_cache: HttpCache,
        files: FileStore | None = None,
        idempotency_store: idempotency.Store | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            # The GraphQL multipart request spec, for evidence files. Browsers' cross-site
            # forms cannot carry the bearer token every upload needs, so no CSRF opening.
            multipart_uploads_enabled=True,
        )
        self.files: FileStore = files or make_store(settings)
        self.db = db
        self.settings = settings
        self.tokens = tokens
        self.plugins = plugins
        self.rate_limiter = rate_limiter
        self.uow = uow
        self.persisted = persisted
        self.http_cache = http_cache
        self.idempotency = idempotency_store or idempotency.MemoryStore()
        self.bulkhead = Bulkhead(
            settings.max_concurrent_per_municipality, settings.municipality_queue_seconds
        )

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's request handling, inside the request's limits: body size, deadline
        (the session's PostgreSQL statements carry it as ``statement_timeout`` too), and HTTP
        refusals as machine-readable JSON."""
        if not isinstance(request, Request):
            return await super().run(request, context, root_value)
        locale = locale_of(request.scope, request.headers.get("accept-language"))
        head = request.method == "HEAD"
        if head:  # HEAD answers what GET answers, without the body
            request = Request({**request.scope, "method": "GET"}, request.receive)
        identity = identity_of(request.scope)
        municipality = str(identity.tenant.municipality.id) if identity.tenant else "-"
        try:
            deadline = request.scope.get("usina.deadline")
            if deadline is None:
                deadline = self.settings.request_timeout_seconds + asyncio.get_running_loop().time()
            async with asyncio.timeout_at(deadline) as timeout:
                # The municipality's turn (graphql_schema/bulkhead.py), within the deadline,
                # before the body is read: everything a request costs, reading and refusing
                # it included, is its municipality's.
                async with self.bulkhead.slot(municipality):
                    await self._read_body(request)
                    watch = _Deadline(timeout, self.settings.request_timeout_seconds)
                    token = COMMIT_WATCH.set(watch)
                    try:
                        response = await self._idempotent(request, watch, context, root_value)
                    finally:
                        COMMIT_WATCH.reset(token)
            return _without_body(response) if head else response
        except UsinaError as error:
            return self._refusal(request, error, locale)
        except TimeoutError:
            created: Context | None = getattr(request.state, "usina_context", None)
            if created is not None:
                await created.close()  # roll back whatever the request had begun
            seconds = self.settings.request_timeout_seconds
            return self._refusal(request, past_deadline(seconds), locale)
        except HTTPException as error:
            return self._http_error(error, locale)
        finally:
            form = getattr(request, "_form", None)
            if form is not None:  # a multipart upload's files, spooled to disk: released
                await form.close()
            state = request.scope.get("state")
            if isinstance(state, dict):  # the context refers to the request: no cycle left
                state.pop("usina_context", None)

    async def _idempotent(
        self, request: Request, watch: _Deadline, context: Any, root_value: Any
    ) -> Response:
        """A POST with ``Idempotency-Key`` answered once (``graphql_schema/idempotency.py``);
        anything else runs as it comes."""
        given = request.headers.get(idempotency.HEADER)
        if given is None or request.method != "POST":
            return await self._cached_or_run(request, context, root_value)
        identity = identity_of(request.scope)
        principal = identity.principal
        if principal.is_anonymous:
            caller = f"address:{request.client.host if request.client else '-'}"
        else:
            caller = f"{principal.issuer}|{principal.subject}"
        tenant = identity.tenant.binding.slug if identity.tenant else None
        key = idempotency.scoped_key(given, tenant, caller)
        body = getattr(request, "_body", b"") or b""
        printed = idempotency.fingerprint(body, request.headers.get("content-type", ""))
        ttl = self.settings.idempotency_ttl_seconds
        state, kept = await self.idempotency.claim(key, printed, ttl)
        if state == "kept" and kept is not None:
            headers = {**kept.headers, "Idempotent-Replayed": "true"}
            return Response(
                kept.body, status_code=kept.status, media_type=kept.media_type, headers=headers
            )
        if state == "other":
            raise idempotency.reused()
        if state == "running":
            raise idempotency.still_running()
        try:
            response = await self._cached_or_run(request, context, root_value)
        except BaseException:
            if not watch.committed:  # nothing written: the retry must run
                await asyncio.shield(self.idempotency.release(key))
            raise
        answer = idempotency.Kept(
            response.status_code,
            bytes(response.body),
            response.media_type or response.headers.get("content-type", "application/json"),
            {k: v for k, v in response.headers.items() if k in ("cache-control", "retry-after")},
        )
        if idempotency.final(answer.status, answer.body, watch.committed):
            await asyncio.shield(self.idempotency.keep(key, printed, answer, ttl))
        else:
            await asyncio.shield(self.idempotency.release(key))
        return response

    async def _cached_or_run(self, request: Request, context: Any, root_value: Any) -> Response:
        """An anonymous read is answered from its ETag (304) or the response cache when it
        can be (``graphql_schema/caching.py``); anything else executes, never stored."""
        identity = identity_of(request.scope)
        _SCOPE.set(request.scope)
        plan = await self.http_cache.plan(request, identity)
        if plan is None:
            response: Response = await super().run(request, context, root_value)
            if "cache-control" not in response.headers:
                response.headers["Cache-Control"] = NO_STORE
            return response

        async def charge(cost: int) -> dict[str, int] | None:
            tenant = identity.tenant.binding.slug if identity.tenant else "-"
            client = request.client.host if request.client else "unknown"
            return await ratelimit.charge(
                self.rate_limiter, self.settings, identity.principal, tenant, client, cost
            )

        not_modified = self.http_cache.not_modified(request, plan)
        if not_modified is not None:
            await charge(1)
            obs.RESPONSE_CACHE.labels("not_modified").inc()
            return not_modified

        async def execute() -> Response:
            result: Response = await super(UsinaGraphQL, self).run(request, context, root_value)
            return result

        response, outcome = await self.http_cache.serve(plan, execute, charge)
        if outcome == "hit":  # charged, and the same document validated to be cached
            await self.persisted.remember(plan.document, plan.extensions, plan.tenant)
        obs.RESPONSE_CACHE.labels(outcome).inc()
        response.headers["X-Usina-Cache"] = outcome  # hit or miss, as CDNs say X-Cache
        return response

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: Any,
        context: Any,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        """A batch's operations run one after another, in the order sent, each with its own
        context (session, unit of work, loaders): strawberry runs them at once on one
        context, and they then shared one session (a mutation's commit, a sibling's close)."""
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        results = []
        for data in request_data:
            own = await self.get_context(request, sub_response)
            try:
                results.append(
                    await self.execute_single(
                        request=request,
                        request_adapter=request_adapter,
                        sub_response=sub_response,
                        context=own,
                        root_value=root_value,
                        request_data=data,
                    )
                )
            finally:
                await own.close()
        return results

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET with neither a query nor a persisted query's hash is a person's browser."""
        return bool(
            super().should_render_graphql_ide(request)
            and request.query_params.get("extensions") is None
        )

    def decode_json(self, data: str | bytes) -> object:
        """A body decoded strictly (``graphql_schema.bodies.decode_body``)."""
        return decode_body(data)

    async def parse_http_body(self, request_adapter: Any) -> Any:
        """Strawberry's parsing, then the one check of text at the edge (no NUL byte, no lone
        surrogate in the document, the variables, the operation's name or the extensions),
        then persisted queries: a hash becomes its document."""
        parsed = await super().parse_http_body(request_adapter)
        for data in parsed if isinstance(parsed, list) else [parsed]:
            self._within_size(data.query)  # before anything else reads it
            refuse_bad_text(data.variables, "variables")
            refuse_bad_text(data.query, "query")
            refuse_bad_text(data.operation_name, "operationName")
            refuse_bad_text(data.extensions, "extensions")
        scope = _SCOPE.get()
        if not isinstance(parsed, list) and scope is not None and RESOLVED in scope:
            parsed.query = scope[RESOLVED]  # resolved already, while planning its caching
            self._within_size(parsed.query)
            return parsed
        anonymous = scope is None or identity_of(scope).principal.is_anonymous
        for data in parsed if isinstance(parsed, list) else [parsed]:
            data.query = await self.persisted.resolve(
                data.query, data.extensions, anonymous=anonymous
            )
            self._within_size(data.query)
        return parsed

    def _within_size(self, query: Any) -> None:
        """A document longer than ``max_query_chars`` is refused before it is parsed: parsing
        is the one cost that comes before every other limit."""
        maximum = self.settings.max_query_chars
        if isinstance(query, str) and len(query) > maximum:
            size = len(query)
            raise QueryTooComplex(
                msg(
                    f"The document is {size} characters long, over the maximum of {maximum}.",
                    f"El documento tiene {size} caracteres, más que el máximo de {maximum}.",
                    f"O documento tem {size} caracteres, mais que o máximo de {maximum}.",
                ),
                details={"limit": "chars", "value": size, "maximum": maximum},
            )

    async def _read_body(self, request: Request) -> None:
        """Read the body up to ``max_body_bytes`` (declared or streamed), or refuse."""
        limit = self.settings.max_body_bytes
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            # An upload: the file, its operations and map (the spec's fields) around it.
            limit = max(limit, self.settings.evidence_max_bytes + 65_536)
        too_large = RequestTooLarge(
            msg(
                f"The request body is larger than {limit} bytes.",
                f"El cuerpo de la solicitud supera {limit} bytes.",
                f"O corpo da solicitação passa de {limit} bytes.",
            )
        )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        if request.method != "POST":
            return
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        request._body = b"".join(chunks)  # starlette serves later reads from here

    def _refusal(self, request: Request, error: UsinaError, locale: str) -> Response:
        obs.GRAPHQL_ERRORS.labels(error.code).inc()
        body, status = refusal(error, locale)
        graphql_response = wants_graphql_response(request.headers.get("accept"))
        if error.code in REQUEST_CODES and not graphql_response:
            status = 200  # a GraphQL request error: application/json answers it with 200
        media = GRAPHQL_RESPONSE if graphql_response else "application/json"
        headers = {"Cache-Control": NO_STORE}
        if "retryAfter" in error.details:  # a rate-limited cache hit: as an execution answers
            headers["Retry-After"] = str(error.details["retryAfter"])
            if not graphql_response:
                body = {"data": None, **body}
        return Response(
            self.encode_json(body), status_code=status, media_type=media, headers=headers
        )

    def _http_error(self, error: HTTPException, locale: str) -> Response:
        """Strawberry's plain-text HTTP refusals (wrong method, bad JSON, too many batched
        operations), as JSON errors with a code."""
        code = HTTP_ERROR_CODES.get(error.reason, "BAD_REQUEST")
        if error.status_code == 405:
            code = "METHOD_NOT_ALLOWED"
        texts = HTTP_ERROR_TEXTS.get(error.reason)
        message = texts.text(locale) if texts else error.reason
        extensions: dict[str, Any] = {"code": code}
        if texts:
            extensions["message"] = texts.as_dict()
        body = {"errors": [{"message": message, "extensions": extensions}]}
        return Response(
            self.encode_json(body), status_code=error.status_code, media_type="application/json"
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        identity = identity_of(request.scope)
        context = Context(
            request=request,  # type: ignore[arg-type]
            response=response,  # type: ignore[arg-type]
            db=self.db,
            settings=self.settings,
            tokens=self.tokens,
            plugins=self.plugins,
            rate_limiter=self.rate_limiter,
            uow=self.uow,
            persisted=self.persisted,
            files=self.files,
            principal=identity.principal,
            resolved=identity.tenant,
        )
        request.state.usina_context = context
        return context

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.usina_graphql_response = wants_graphql_response(  # type: ignore[attr-defined]
            request.headers.get("accept")
        )
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Every error in Usina's shape (``extensions.code``), in the caller's language."""
        if result.errors:
            locale = locale_of(request.scope, request.headers.get("accept-language"))
            mask = self.settings.environment == "production"
            result.errors = [format_error(e, locale, mask=mask) for e in result.errors]
            codes = [(error.extensions or {}).get("code", "UNKNOWN") for error in result.errors]
            for code in codes:
                obs.GRAPHQL_ERRORS.labels(code).inc()
            context = getattr(request.state, "usina_context", None)
            if "SERVICE_UNAVAILABLE" in codes and context is not None:
                # The database went away mid-request: a 503 tells clients and proxies to retry.
                context.response.status_code = 503
                context.response.headers["Retry-After"] = RETRY_AFTER
        return process_result(result)

    def encode_json(self, data: object) -> bytes:
        """The response body: orjson (the portal query's body encodes in a tenth of
        ``json.dumps``' time), compact and UTF-8 like the cached bodies. What a row already
        holds always encodes: a lone surrogate becomes U+FFFD (``core.text.scrub``), and an
        integer beyond 64 bits is encoded by ``json.dumps``."""
        return encode_body(data)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """GraphQL over HTTP: a client that accepts application/graphql-response+json gets it;
        a request refused before execution then answers 4xx without a ``data`` entry."""
        if not getattr(sub_response, "usina_graphql_response", False) or isinstance(
            response_data, list
        ):
            return super().create_response(response_data, sub_response)
        errors: list[Any] = list(response_data.get("errors") or [])
        refused = (
            response_data.get("data") is None
            and bool(errors)
            and all(isinstance(e, dict) and "path" not in e for e in errors)
        )
        body: dict[str, Any] = dict(response_data)
        status = sub_response.status_code or 200
        if refused:
            body.pop("data", None)
            status = sub_response.status_code or request_error_status(errors)
        response = Response(self.encode_json(body), status_code=status, media_type=GRAPHQL_RESPONSE)
        response.headers.raw.extend(
            (k, v) for k, v in sub_response.headers.raw if k.lower() != b"content-type"
        )
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL opening on the portal query, with the demo municipality's header set.
        In production only the staff get it (their token in ``Authorization``)."""
        if self.settings.environment == "production":
            principal = identity_of(request.scope).principal
            if not principal.can(Permission.INTROSPECT):
                error = (Unauthenticated if principal.is_anonymous else Forbidden)(
                    msg(
                        "GraphiQL is for the staff only.",
                        "GraphiQL es solo para el equipo.",
                        "O GraphiQL é só para a equipe.",
                    )
                )
                locale = locale_of(request.scope, request.headers.get("accept-language"))
                return self._refusal(request, error, locale)
        html = ide.localized(self.graphql_ide_html, Path(self.settings.ide_assets_dir))
        query_js = json.dumps(PORTAL_QUERY)
        headers_js = json.dumps(json.dumps({"X-Tenant": self.settings.graphiql_tenant}))
        html = html.replace("parameters.q || EXAMPLE_QUERY", f"parameters.q || {query_js}")
        html = html.replace(
            "React.useState(parameters.headers)",
            f"React.useState(parameters.headers || {headers_js})",
        )
        html = html.replace("<title>Strawberry GraphiQL</title>", "<title>Usina GraphiQL</title>")
        return HTMLResponse(html)


class _Deadline:
    """The request's deadline, as the unit of work's commit watch (``tenants/unit_of_work``):
    lifted when a write is about to commit (a deadline stops only work that has not
    committed; the answer must then tell the truth about the commit), or refused there when
    it has already passed."""

    def __init__(self, timeout: asyncio.Timeout, seconds: float) -> None:
        self.timeout = timeout
        self.seconds = seconds
        self.committed = False

    def before(self) -> None:
        if self.timeout.expired():
            raise past_deadline(self.seconds)
        when = self.timeout.when()
        if when is not None and when <= asyncio.get_running_loop().time():
            raise past_deadline(self.seconds)  # due now: do not begin a commit
        self.timeout.reschedule(None)

    def after(self) -> None:
        self.committed = True


def _without_body(response: Response) -> Response:
    """The HEAD answer: GET's status and headers (its Content-Length included), no body."""
    headers = dict(response.headers)
    return Response(b"", status_code=response.status_code, headers=headers)
