"""The ASGI application factory: a composition root that sees every package."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.db.engine import unavailable, unreachable
from core.i18n import pick_locale
from core.identity.oidc import OidcVerifier
from core.identity.tokens import TokenService
from core.notifications.participants import CONFIRM_PATH, UNSUBSCRIBE_PATH
from core.settings import Settings, get_settings
from graphql_schema import (
    files,
    health,
    ide,
    idempotency,
    notices,
    oauth,
    portfolio_export,
)
from graphql_schema.authentication import RETRY_AFTER, Authentication
from graphql_schema.caching import HttpCache, make_responses
from graphql_schema.cors import PortalCORS, PortalOrigins
from graphql_schema.errors import refusal
from graphql_schema.hosts import TrustedHosts
from graphql_schema.observability import RequestObservability
from graphql_schema.open_data import OpenData
from graphql_schema.persisted import PersistedQueries, make_store
from graphql_schema.ratelimit import RateLimiter
from graphql_schema.schema import build_schema
from graphql_schema.view import UsinaGraphQL
from plugins.events import unit_of_work
from plugins.manager import PluginRegistry, make_plugin_manager
from tenants import speed
from tenants.access import Authenticator, fresh_keys
from tenants.database import Database
from tenants.directory import MunicipalityDirectory
from tenants.unit_of_work import UnitOfWork
from tenants.versions import make_versions
from workers.broker import Jobs
from workers.periodic import QUEUED_GRACE, enqueue_periodic, send_staff_mail

PERIODIC_SECONDS = 300.0
#: Allocations (less deallocations) between collections of the youngest generation, for a
#: serving process (Python's default, 700, suits short scripts).
GC_YOUNG_THRESHOLD = 10_000
log = logging.getLogger("usina.app")


async def _every(seconds: float, uow: UnitOfWork, settings: Settings) -> None:
    # The embedded broker keeps messages in memory: at start-up every queued job's message
    # (a retry waiting for its backoff included) went with the previous process.
    grace = timedelta(0)
    while True:
        try:
            await enqueue_periodic(uow, queued_grace=grace)
            await send_staff_mail(uow.db, settings)
        except Exception:
            log.exception("enqueueing the periodic jobs failed")
        grace = QUEUED_GRACE
        await asyncio.sleep(seconds)


async def _unexpected(request: Request, error: Exception) -> Response:
    """What escaped every endpoint: a database that went away is a 503 the client may retry
    (in GraphQL's error shape), anything else the plain 500 of a bug."""
    if unreachable(error):
        body, status = refusal(unavailable(), pick_locale(request.headers.get("accept-language")))
        return JSONResponse(body, status_code=status, headers={"Retry-After": RETRY_AFTER})
    return PlainTextResponse("Internal Server Error", status_code=500)


class Engine:
    """Reads of this request through the speed layer's compiled statements, or SQLAlchemy's
    own path (``USINA_ENGINE=stock``): ``tenants.speed.FAST`` for the request's task."""

    def __init__(self, app: ASGIApp, *, compiled: bool) -> None:
        self.app, self.compiled = app, compiled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        speed.FAST.set(self.compiled)
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    plugins: PluginRegistry | None = None,
    jobs: Jobs | None = None,
) -> Starlette:
    settings = settings or get_settings()
    database = db or Database.from_settings(settings)
    tokens = TokenService.from_settings(settings)
    oidc = OidcVerifier.from_settings(settings)
    registry = plugins or make_plugin_manager()
    background = jobs or Jobs.create(settings, registry)
    origins = PortalOrigins(database, settings.cors_refresh_seconds)
    versions = make_versions(settings)
    directory = MunicipalityDirectory(database, versions)
    uow = unit_of_work(
        database, registry, background, listeners=[origins.on_commit], versions=versions
    )
    if versions.any_loop:  # embedded jobs publish to this process's readers
        background.runtime.versions = versions
    authenticator = Authenticator(uow=uow, tokens=tokens, oidc=oidc, directory=directory)
    limiter = (
        RateLimiter(settings.redis_url, prefix=settings.rate_limit_prefix)
        if settings.rate_limit
        else None
    )
    persisted = PersistedQueries(make_store(settings), trusted_only=settings.trusted_documents)
    http_cache = HttpCache(settings, make_responses(settings), persisted)
    view = UsinaGraphQL(
        build_schema(registry, settings),
        db=database,
        settings=settings,
        tokens=tokens,
        plugins=registry,
        rate_limiter=limiter,
        uow=uow,
        persisted=persisted,
        http_cache=http_cache,
        idempotency_store=idempotency.make_store(settings),
    )

    async def jwks(_: Request) -> JSONResponse:
        await fresh_keys(database, tokens)
        return JSONResponse(tokens.jwks(), headers={"Cache-Control": "public, max-age=300"})

    discovery = oauth.metadata(settings)

    async def openid_configuration(_: Request) -> JSONResponse:
        return JSONResponse(discovery, headers={"Cache-Control": "public, max-age=3600"})

    open_data = OpenData(db=database, directory=directory, registry=registry, settings=settings)

    async def file(request: Request) -> Response:
        return await files.download(request, db=database, tokens=tokens, store=view.files)

    async def public_evidence(request: Request) -> Response:
        return await files.public_evidence(request, db=database, store=view.files)

    async def logo(request: Request) -> Response:
        return await files.logo(request, db=database)

    async def token(request: Request) -> Response:
        return await oauth.token_endpoint(request, db=database, tokens=tokens, settings=settings)

    async def healthz(_: Request) -> JSONResponse:
        """Liveness: the process answers. Nothing outside it is checked (a database outage
        must not make Kubernetes restart every pod)."""
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        """Readiness: the database answers. Redis is reported too, but a pod without it still
        serves (uncached, jobs kept in the outbox: ``core/outage.py``), so it stays ready."""
        checks = await health.check(database, settings)
        ready = checks["database"] == "ok"
        status = "unavailable" if not ready else "ready"
        if ready and any(value != "ok" for value in checks.values()):
            status = "degraded"
        return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)

    queue_metrics = CollectorRegistry(auto_describe=True)
    queue_metrics.register(health.QueueDepth(background))

    def exposition() -> bytes:
        if health.serves_shared_metrics():  # one of several processes: all of them, added up
            return health.shared_exposition()
        return generate_latest(REGISTRY) + generate_latest(queue_metrics)

    async def metrics(_: Request) -> Response:
        """Only where no metrics listener is configured and not in production: the metrics
        name municipalities and their errors, which the public must not read."""
        if settings.metrics_port is not None or settings.environment == "production":
            return Response(status_code=404)
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    async def root(_: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Everything built so far (schema, mappers, compiled caches) lives as long as the
        # process: move it out of the cyclic GC's sight, so collections triggered by request
        # allocations stop rescanning it (about a tenth of a portal query's CPU time).
        gc.collect()
        gc.freeze()
        # A request allocates thousands of objects that die with it (freed by reference
        # counting); at Python's default of 700 allocations a collection runs several times
        # per request and promotes what is in flight to the older generations, to be scanned
        # again. docs/scaling.md has the measurements.
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        metrics_listener = None
        # With several processes, the supervising one serves the metrics of all of them.
        if settings.metrics_port is not None and not health.serves_shared_metrics():
            metrics_listener = health.serve_metrics(
                settings.metrics_host, settings.metrics_port, exposition
            )
        periodic = None
        if settings.workers == "embedded" and settings.embedded_worker:
            # The embedded default needs no service: the same actors run in this process,
            # and the periodic jobs are enqueued here (idempotent per day and week).
            background.start_worker()
            periodic = asyncio.create_task(_every(PERIODIC_SECONDS, uow, settings))
        yield
        if periodic is not None:
            periodic.cancel()
        if metrics_listener is not None:
            metrics_listener.shutdown()
            metrics_listener.server_close()
        background.close()
        if limiter is not None:
            await limiter.close()
        await oidc.close()
        await http_cache.close()
        await versions.close()
        await persisted.store.close()
        await view.idempotency.close()
        if db is None:  # the app owns the engine it created
            await database.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "HEAD", "POST"]),
            Route(oauth.JWKS_PATH, jwks),
            Route("/.well-known/openid-configuration", openid_configuration),
            Route("/.well-known/oauth-authorization-server", openid_configuration),
            Route(oauth.TOKEN_PATH, token, methods=["GET", "POST"]),
            Route("/files/{file_id}", file),
            Route(
                files.evidence_path("{slug}", "{sha256}"), public_evidence, methods=["GET", "HEAD"]
            ),
            Route(files.logo_path("{slug}", "{sha256}"), logo, methods=["GET", "HEAD"]),
            Route("/portfolio.{fmt}", portfolio_export.endpoint(database, registry)),
            Route("/open-data/{slug}/catalog.jsonld", open_data.endpoint(open_data.catalog)),
            Route(
                "/open-data/{slug}/plans/{plan_id}.{fmt}",
                open_data.endpoint(open_data.plan_file),
            ),
            Route(
                "/open-data/{slug}/channels/{channel_id}.{fmt}",
                open_data.endpoint(open_data.channel_file),
            ),
            *(
                Route(
                    path + "{slug}/{token}",
                    notices.endpoint(notice, uow=uow, directory=directory),
                    methods=["GET", "HEAD", "POST"],
                )
                for path, notice in (
                    (UNSUBSCRIBE_PATH, notices.UNSUBSCRIBE),
                    (CONFIRM_PATH, notices.CONFIRM),
                )
            ),
            Route(ide.PREFIX + "{path:path}", ide.asset_endpoint(Path(settings.ide_assets_dir))),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/", root),
        ],
        lifespan=lifespan,
        exception_handlers={Exception: _unexpected},
        middleware=[
            Middleware(Engine, compiled=settings.engine == "fast"),
            Middleware(RequestObservability),
            Middleware(TrustedHosts, settings=settings),
            # Outside authentication, so that its refusals are readable by allowed portals.
            Middleware(PortalCORS, origins=origins, settings=settings),
            Middleware(
                Authentication,
                authenticator=authenticator,
                settings=settings,
                credentials_paths=frozenset({oauth.TOKEN_PATH}),
            ),
        ],
    )
    app.state.db = database
    app.state.settings = settings
    app.state.tokens = tokens
    app.state.oidc = oidc
    app.state.authenticator = authenticator
    app.state.jobs = background
    app.state.uow = uow
    app.state.bulkhead = view.bulkhead
    app.state.portal_origins = origins
    app.state.directory = directory
    app.state.persisted = persisted
    app.state.http_cache = http_cache
    app.state.plugins = registry
    return app
