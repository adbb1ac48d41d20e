"""One typed settings object, read from ``USINA_*`` environment variables.

The embedded default (a SQLite file, in-process workers, generated signing keys) works with
no variable set.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USINA_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = Field(
        default="sqlite+aiosqlite:///usina.db",
        description="The database the application connects to. On PostgreSQL this role must be "
        "neither the tables' owner nor a superuser, or row-level security is bypassed.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="The owner's connection, used by `usina migrate` only. Defaults to "
        "database_url (fine on SQLite; on PostgreSQL set both).",
    )
    db_app_role: str | None = Field(
        default=None,
        description="PostgreSQL role that migrations grant table privileges to (the app's role).",
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    base_domain: str = Field(
        default="localhost",
        description="Requests to <slug>.<base_domain> are bound to that municipality.",
    )
    issuer: str = Field(
        default="http://127.0.0.1:8000",
        description="The built-in token issuer's identifier (tokens' `iss`). Not a link: "
        "changing where the API is served does not change it, and must not.",
    )
    idempotency_store: Literal["memory", "redis"] | None = Field(
        default=None,
        description="Where Idempotency-Key answers are kept: this process's memory or Redis "
        "(every replica). Unset: Redis when the workers use Redis, memory otherwise.",
    )
    idempotency_ttl_seconds: int = Field(
        default=86_400, description="How long the first answer to an Idempotency-Key is kept."
    )
    metrics_port: int | None = Field(
        default=None,
        description="Serve /metrics on this port of its own (the chart sets it), and not on "
        "the API's listener. Unset: /metrics is on the API's listener, in development only.",
    )
    metrics_host: str = Field(
        default="0.0.0.0",
        description="The address the metrics listener binds.",
    )
    public_url: str | None = Field(
        default=None,
        description="The base URL of every link the platform returns or sends (downloads, "
        "e-mails), e.g. https://api.usina.example. Unset: a link returned in a response uses "
        "the request's own scheme and host (behind a trusted proxy, X-Forwarded-Proto and "
        "the Host it passes on); one sent from a worker uses the issuer.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Host names the API answers for ("*.example.org" for a domain\'s '
        "subdomains). Empty: in production, the public URL's and the issuer's hosts, the base "
        "domain and its subdomains; in development, any host.",
    )
    audience: str = "urn:usina:api"
    token_ttl_seconds: int = 3600
    key_refresh_seconds: float = Field(
        default=60.0,
        description="How often a process reloads the built-in issuer's keys (after "
        "`usina keys rotate`); an unknown key ID triggers a reload sooner.",
    )
    # Trusted OpenID Connect providers (per municipality; see core/identity/oidc.py).
    oidc_jwks_cache_seconds: float = 600.0
    oidc_unknown_kid_interval_seconds: float = Field(
        default=30.0,
        description="At most one JWKS refetch per provider in this interval when a token "
        "names an unknown key, so forged key IDs cannot flood the provider.",
    )
    oidc_http_timeout_seconds: float = 5.0
    # The endpoint's protections.
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="PostgreSQL connections each process keeps open (SQLAlchemy's pool). A "
        "request holds one while it runs: keep it at the requests one process serves at once.",
    )
    db_max_overflow: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="Connections opened beyond the pool under a burst (closed when returned).",
    )
    request_timeout_seconds: float = Field(
        default=15.0,
        description="Deadline of one GraphQL request; PostgreSQL statements are cut at it too.",
    )
    max_body_bytes: int = Field(default=1_048_576, description="Largest request body accepted.")
    files_store: Literal["local", "s3"] = Field(
        default="local",
        description="Where uploaded evidence files are kept: files_dir, or an S3 bucket.",
    )
    files_dir: str = Field(
        default=".usina/files",
        description="The local store's directory (a persistent volume in production).",
    )
    s3_bucket: str = "usina-files"
    s3_endpoint_url: str | None = Field(
        default=None, description="An S3-compatible server's URL (MinIO, Ceph); none: AWS."
    )
    s3_region: str | None = None
    s3_access_key_id: str | None = Field(
        default=None, description="None: boto3's usual sources (environment, instance role)."
    )
    s3_secret_access_key: str | None = None
    evidence_max_bytes: int = Field(
        default=10_000_000,
        ge=1,
        description="Largest evidence file accepted (a multipart upload's body may be this "
        "large, plus its form fields).",
    )
    max_concurrent_per_municipality: int = Field(
        default=8,
        description="Requests of one municipality in hand at once in one process "
        "(graphql_schema/bulkhead.py); more wait their turn.",
    )
    municipality_queue_seconds: float | None = Field(
        default=None,
        description="How long a request waits for its municipality's turn before it is "
        "refused with SERVICE_UNAVAILABLE. Unset: as long as its deadline allows.",
    )
    max_batch_operations: int = Field(default=10, description="Operations in one batch request.")
    graphiql: bool = Field(
        default=True,
        description="Serve GraphiQL. In production only staff get it (and introspection).",
    )
    ide_assets_dir: str = Field(
        default=".usina/ide",
        description="Where `usina ide install` keeps GraphiQL's assets; served from there when "
        "installed (no CDN needed), else the page loads them from the CDN.",
    )
    npm_registry: str = "https://registry.npmjs.org"
    graphiql_tenant: str = Field(
        default="demo", description="The municipality GraphiQL's header editor starts with."
    )
    max_page_size: int = 100
    # Portals on their own domains (graphql_schema/cors.py, graphql_schema/caching.py).
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Web origins allowed for every municipality (each municipality adds its "
        "own portals' origins with setPortalOrigins).",
    )
    cors_refresh_seconds: float = Field(
        default=10.0,
        description="How stale a process's copy of the municipalities' portal origins may get "
        "(for preflight requests, which name no municipality).",
    )
    cors_max_age_seconds: int = 600
    persisted_queries: Literal["memory", "redis"] = Field(
        default="memory",
        description="Where persisted queries (Apollo APQ) are kept: this process's memory (the "
        "embedded default) or Redis (USINA_REDIS_URL), shared by every process.",
    )
    persisted_query_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        description="How long an automatically persisted query is kept (trusted ones: always).",
    )
    trusted_documents: bool = Field(
        default=False,
        description="Anonymous clients may run only documents registered beforehand "
        "(registerPersistedDocuments), sent by hash. Signed-in callers are not restricted.",
    )
    engine: Literal["fast", "stock"] = Field(
        default="fast",
        description="fast: the speed layer (graphql_schema/execution.py's executor, "
        "tenants/compiled_reads.py's statements compiled for asyncpg); stock: graphql-core's "
        "executor and SQLAlchemy's statement path, the libraries' public APIs alone. The "
        "answers are the same (tests/graphql/test_engines.py).",
    )
    response_cache: Literal["off", "memory", "redis"] = Field(
        default="memory",
        description="Cache anonymous read answers per municipality and data version: in this "
        "process's memory or in Redis (shared).",
    )
    response_cache_entries: int = Field(
        default=2_000, description="The most answers the in-memory cache keeps (LRU)."
    )
    response_cache_ttl_seconds: int = 3_600
    http_cache_max_age_seconds: int = Field(
        default=30, description="Cache-Control max-age of anonymous read answers."
    )
    http_cache_stale_seconds: int = Field(
        default=60, description="Cache-Control stale-while-revalidate of anonymous read answers."
    )
    cache_prefix: str = "usina"
    data_versions: Literal["memory", "redis"] | None = Field(
        default=None,
        description="Where processes learn each municipality's current data version (which "
        "keeps their copy of its row and their cached answers current): this process's memory "
        "(one process; others' changes seen within 1 s) or Redis (every process at once). "
        "Unset: Redis when the response cache is in Redis, memory otherwise.",
    )
    # Operation limits (graphql_schema/limits.py); refused with QUERY_TOO_COMPLEX.
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_query_tokens: int = 10_000
    max_query_chars: int = Field(
        default=65_536,
        description="Longest GraphQL document accepted, refused before it is parsed.",
    )
    max_query_fields: int = Field(
        default=1_000,
        description="Fields of a document once its fragment spreads are expanded, measured "
        "before validation (a fragment bomb's cost is in its expansion).",
    )
    max_query_width: int = Field(
        default=20,
        description="Fields of one response name in one selection set, its fragment spreads "
        "expanded: validation compares them pairwise.",
    )
    rate_limit: bool = Field(
        default=False,
        description="Rate-limit operations in Redis (USINA_REDIS_URL). On in production.",
    )
    rate_limit_points: int = 5_000
    rate_limit_anonymous_points: int = 1_000
    rate_limit_window_seconds: int = 3_600
    rate_limit_prefix: str = "usina:rl"
    max_query_cost: int = Field(
        default=50_000, description="The most nodes one operation may ask for."
    )
    # Background jobs (workers/).
    workers: Literal["embedded", "redis"] = Field(
        default="embedded",
        description="embedded: the web process runs the jobs itself (no service needed); "
        "redis: jobs go through Redis to `usina worker` processes.",
    )
    worker_threads: int = Field(
        default=16,
        ge=1,
        description="Jobs one worker process runs at once (tasks on its event loop, not threads; "
        "its database pool holds this many connections and two more).",
    )
    embedded_worker: bool = Field(
        default=True,
        description="With workers=embedded, run the jobs (and the periodic ones) inside the "
        "web process. Off: jobs stay queued until a worker or the sweep sends them.",
    )
    broker_namespace: str = "usina"
    broker_heartbeat_ms: int = Field(
        default=60_000,
        description="A worker silent this long is presumed dead; its unfinished messages are "
        "delivered again.",
    )
    # Notifications.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "Usina <usina@localhost>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    webhook_timeout_seconds: float = 10.0
    egress_allow: list[str] = Field(
        default_factory=list,
        description="Networks that calls made for a municipality (webhooks, identity "
        'providers) may reach although they are not public, e.g. ["10.20.0.0/16"] for an '
        "on-premises identity provider (core/egress.py).",
    )
    egress_max_bytes: int = Field(
        default=1_048_576, description="The largest answer read from an outbound call."
    )
    webhook_allow_private_networks: bool = Field(
        default=False,
        description="Let webhooks reach loopback, private and link-local addresses (off: a "
        "municipality's webhook cannot be aimed at the platform's own network).",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one object per line (production); text: for people."
    )
    log_level: str = "INFO"
    sql_echo: bool = False

    @property
    def owner_database_url(self) -> str:
        return self.migration_database_url or self.database_url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @field_validator("public_url")
    @classmethod
    def _an_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be an http(s) URL without a query, e.g. https://api.example")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_links(self) -> Settings:
        """In production every link comes from the configured public URL, never from a
        request's Host header (which a caller chooses)."""
        if self.environment == "production" and self.public_url is None:
            raise ValueError(
                "USINA_PUBLIC_URL is required in production: links are built from it, "
                "never from a request's Host header"
            )
        return self

    def trusted_hosts(self) -> list[str]:
        """The host patterns requests are answered for; empty: any."""
        if self.allowed_hosts:
            return [h.lower() for h in self.allowed_hosts]
        if self.environment != "production":
            return []
        hosts = {urlsplit(self.issuer).hostname or "", self.base_domain.lower()}
        hosts.add(f"*.{self.base_domain.lower()}")
        if self.public_url:
            hosts.add(urlsplit(self.public_url).hostname or "")
        return sorted(h for h in hosts if h)

    def link_base(self, request_base: str | None = None) -> str:
        """Where the platform's links point: ``public_url``; else the base URL of the request
        being answered; else (a worker, the CLI) the issuer. No trailing slash."""
        return (self.public_url or request_base or self.issuer).rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
