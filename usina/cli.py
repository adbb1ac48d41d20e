"""The ``usina`` command line: serve, migrate, seed, manage municipalities, issue tokens."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from core.enums import MunicipalityStatus
from core.errors import UsinaError
from core.identity.principal import Principal
from core.identity.roles import Role
from core.identity.tokens import TokenService
from core.settings import get_settings

T = TypeVar("T")

CLI_PRINCIPAL = Principal(subject="cli", role=Role.PLATFORM_ADMIN)


def _fail_cleanly(fn: Callable[..., T]) -> Callable[..., T]:
    """Usina errors become a one-line message and the error's exit code, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except UsinaError as error:
            where = f" ({error.field})" if error.field else ""
            click.echo(f"error: {error.code}{where}: {error.message.en}", err=True)
            sys.exit(error.exit_code)

    return wrapper


def _run(coro_fn: Callable[..., Coroutine[Any, Any, T]], *, dispatcher: Any = None) -> T:
    """Run ``coro_fn(uow)`` with the unit of work every CLI write goes through (without a
    ``dispatcher``, jobs a command queues are sent by the workers' sweep)."""
    from plugins.events import unit_of_work
    from plugins.manager import make_plugin_manager
    from tenants.database import Database
    from tenants.versions import make_versions

    async def main() -> T:
        settings = get_settings()
        db = Database.from_settings(settings)
        versions = make_versions(settings)  # the deployment's processes learn our commits
        try:
            uow = unit_of_work(db, make_plugin_manager(), dispatcher, versions=versions)
            return await coro_fn(uow)
        finally:
            await versions.close()
            await db.dispose()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Usina: Open Government action plans for many municipalities."""
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as error:  # a bad USINA_* variable: say which, no traceback
        for problem in error.errors():
            name = "USINA_" + "_".join(str(part) for part in problem["loc"]).upper()
            click.echo(f"error: BAD_CONFIGURATION ({name}): {problem['msg']}", err=True)
        sys.exit(2)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option(
    "--metrics-port",
    type=int,
    help="Serve /metrics on this port only, not on the API's (USINA_METRICS_PORT).",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies whose X-Forwarded-* headers are believed (uvicorn's option; default: "
    "127.0.0.1, or FORWARDED_ALLOW_IPS).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes serving the API, one per core (uvicorn's workers). Each keeps its own "
    "memory caches, rate limiter and bulkhead unless they use Redis (docs/deploy.md).",
)
def serve(
    host: str,
    port: int,
    reload: bool,
    metrics_port: int | None,
    forwarded_allow_ips: str | None,
    workers: int,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from core.observability import configure_logging

    if workers > 1 and reload:
        raise click.UsageError("--reload restarts one process: leave --workers at 1")
    if metrics_port is not None:  # read by the app factory's settings
        os.environ["USINA_METRICS_PORT"] = str(metrics_port)
        get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    shared_metrics = None
    if workers > 1:
        # Prometheus' multiprocess mode: each process writes its metrics to this directory,
        # and one /metrics (this supervising process's) adds them up.
        shared_metrics = tempfile.mkdtemp(prefix="usina-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared_metrics
        if settings.metrics_port is not None:
            from graphql_schema.health import serve_metrics, shared_exposition

            serve_metrics(settings.metrics_host, settings.metrics_port, shared_exposition)
    click.echo(f"Usina GraphQL on http://{host}:{port}/graphql ({workers} process(es))", err=True)
    try:
        uvicorn.run(
            "graphql_schema.app:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=workers,
            log_config=None,  # our handler (JSON, redacted)
            access_log=False,  # the app logs each request itself, with its context
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
        )
    finally:
        if shared_metrics is not None:
            shutil.rmtree(shared_metrics, ignore_errors=True)


@main.command()
@click.option("--threads", type=int, help="Jobs run at once (default USINA_WORKER_THREADS).")
@click.option("--metrics-port", type=int, help="Serve Prometheus metrics on this port.")
def worker(threads: int | None, metrics_port: int | None) -> None:
    """Run jobs from Redis until SIGTERM or SIGINT (USINA_WORKERS=redis)."""
    import signal
    import threading

    from core.observability import configure_logging
    from plugins.manager import make_plugin_manager
    from workers.broker import Jobs

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    if settings.workers != "redis":
        click.echo(
            "error: USINA_WORKERS is 'embedded': `usina serve` runs the jobs itself; "
            "set USINA_WORKERS=redis to run separate workers",
            err=True,
        )
        sys.exit(2)
    jobs = Jobs.create(settings, make_plugin_manager())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    jobs.start_worker(threads)
    click.echo(f"worker started ({len(jobs.actors)} job kinds)", err=True)
    stop.wait()
    click.echo("worker stopping: finishing the jobs in hand", err=True)
    jobs.close()


@main.group()
def jobs() -> None:
    """Background jobs."""


@jobs.command("enqueue-periodic")
@click.option(
    "--wait",
    type=float,
    default=120.0,
    show_default=True,
    help="Embedded default: how long to run the jobs here before leaving the rest to the "
    "web process.",
)
@click.option(
    "--queued-grace",
    type=click.FloatRange(min=0),
    default=None,
    help="Re-send queued jobs that have waited this many seconds (default: 120 with Redis, "
    "0 on the embedded default), e.g. after a Redis outage.",
)
@_fail_cleanly
def jobs_enqueue_periodic(wait: float, queued_grace: float | None) -> None:
    """Enqueue today's monitoring and this week's digest for every active municipality, and
    re-send jobs that should have started (what a scheduler such as a CronJob calls).

    With Redis, the workers run them. On the embedded default there is no worker outside the
    web process, so this command runs them itself, now, and waits for them (``--wait``)."""
    from datetime import timedelta

    from plugins.manager import make_plugin_manager
    from workers.broker import Jobs
    from workers.periodic import QUEUED_GRACE, enqueue_periodic, send_staff_mail

    settings = get_settings()
    background = Jobs.create(settings, make_plugin_manager())
    embedded = settings.workers == "embedded"
    if embedded:
        background.start_worker()
    # Embedded: a queued job's message is only in a web process's memory, if anywhere; run it
    # here too (a second delivery of a job does its work once).
    grace = timedelta(0) if embedded else QUEUED_GRACE
    if queued_grace is not None:
        grace = timedelta(seconds=queued_grace)

    async def periodic(uow: Any) -> Any:
        report = await enqueue_periodic(uow, queued_grace=grace)
        return report, await send_staff_mail(uow.db, settings)

    try:
        report, (mailed, given_up) = _run(periodic, dispatcher=background)
        drained = background.drain(wait) if embedded else True
    finally:
        background.close()
    click.echo(
        f"{report.municipalities} municipalities: {report.enqueued} jobs enqueued, "
        f"{report.resent} re-sent; {report.digests} portfolio digests queued, {mailed} sent"
        + (f", {given_up} given up" if given_up else "")
        + ("; run here" if embedded and drained else "")
        + ("; some still running, left to the web process" if not drained else "")
    )


@main.command()
@_fail_cleanly
def migrate() -> None:
    """Apply database migrations (as the owner: USINA_MIGRATION_DATABASE_URL if set)."""
    from usina.migrate import upgrade

    upgrade(get_settings())
    click.echo("database migrated")


@main.group()
def demo() -> None:
    """The demo municipality."""


@demo.command("seed")
@_fail_cleanly
def demo_seed() -> None:
    """Create the demo municipality (slug 'demo') with a plan, unless it exists."""
    from usina.demo import seed

    municipality, created = _run(seed)
    state = "created" if created else "already there"
    click.echo(f"demo municipality '{municipality.slug}' {state}")


@main.group()
def tenants() -> None:
    """Municipalities (tenants)."""


@tenants.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO 3166-1 alpha-2, e.g. AR")
@click.option("--region")
@click.option("--population", type=int)
@click.option("--website")
@click.option("--locale", default="es", show_default=True, type=click.Choice(["es", "en", "pt"]))
@click.option("--timezone", default="UTC", show_default=True)
@_fail_cleanly
def tenants_create(**fields: Any) -> None:
    """Create a municipality."""
    from core.municipalities.service import MunicipalityData
    from tenants.provisioning import create_municipality

    async def create(uow: Any) -> Any:
        return await create_municipality(uow, CLI_PRINCIPAL, MunicipalityData(**fields))

    municipality = _run(create)
    click.echo(f"created {municipality.slug} ({municipality.id})")


@tenants.command("update")
@click.argument("slug")
@click.option("--name")
@click.option("--region", help="An empty value clears it.")
@click.option("--population", type=int)
@click.option("--website", help="An empty value clears it.")
@click.option("--locale", type=click.Choice(["es", "en", "pt"]))
@click.option("--timezone", help="An IANA time zone, e.g. America/Argentina/Buenos_Aires.")
@click.option(
    "--primary-color", help="#rrggbb, legible under white text; an empty value clears it."
)
@click.option(
    "--logo",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A PNG, JPEG or WebP image (at most 512 KB).",
)
@click.option("--remove-logo", is_flag=True, help="Remove the logo.")
@_fail_cleanly
def tenants_update(slug: str, logo: Path | None, remove_logo: bool, **fields: Any) -> None:
    """Edit a municipality (what updateMunicipality edits); audited."""
    from core.municipalities import service as municipalities
    from tenants.context import TenantBinding

    if logo is not None and remove_logo:
        raise click.UsageError("--logo or --remove-logo, not both")
    fields["logo"] = b"" if remove_logo else (logo.read_bytes() if logo else None)

    async def update(uow: Any) -> Any:
        async with uow.db.session(None) as lookup:
            found = await municipalities.get_by_slug(lookup, slug)
        binding = TenantBinding(tenant_id=found.id, slug=found.slug, sees_drafts=True)
        async with uow.transaction(binding) as session:
            changes = municipalities.MunicipalityChanges(**fields)
            return await municipalities.update(session, CLI_PRINCIPAL, found.id, changes)

    municipality = _run(update)
    branding = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("colour", municipality.primary_color),
            ("logo", municipality.logo_sha256 and municipality.logo_sha256[:12]),
        )
        if value
    )
    click.echo(
        f"updated {municipality.slug}: {municipality.name}, {municipality.locale.value}, "
        f"{municipality.timezone}" + (f"; {branding}" if branding else "")
    )


@tenants.command("list")
@_fail_cleanly
def tenants_list() -> None:
    """List municipalities."""
    from sqlalchemy import select

    from core.municipalities.models import Municipality

    async def rows(uow: Any) -> list[Municipality]:
        async with uow.db.session(None) as session:
            result = await session.execute(select(Municipality).order_by(Municipality.slug))
            return list(result.scalars())

    for m in _run(rows):
        click.echo(f"{m.slug}\t{m.status.value}\t{m.country}\t{m.name}")


def _status_command(name: str, status: MunicipalityStatus, help_text: str) -> None:
    @tenants.command(name, help=help_text)
    @click.argument("slug")
    @_fail_cleanly
    def command(slug: str) -> None:
        from tenants.provisioning import set_status

        async def change(uow: Any) -> Any:
            return await set_status(uow, CLI_PRINCIPAL, slug, status)

        municipality = _run(change)
        click.echo(f"{municipality.slug} is {municipality.status.value}")


_status_command("suspend", MunicipalityStatus.SUSPENDED, "Suspend a municipality.")
_status_command("activate", MunicipalityStatus.ACTIVE, "Reactivate a municipality.")


def _owner_run(coro_fn: Callable[..., Coroutine[Any, Any, T]]) -> T:
    """Run ``coro_fn(engine, store, versions)`` with the tables' owner's engine (moving and
    erasing municipalities, ``tenants/portability.py``)."""
    from core.files.store import make_store
    from tenants.portability import owner_engine
    from tenants.versions import make_versions

    async def main() -> T:
        settings = get_settings()
        engine = owner_engine(settings.owner_database_url)
        versions = make_versions(settings)
        try:
            return await coro_fn(engine, make_store(settings), versions)
        finally:
            await versions.close()
            await engine.dispose()

    return asyncio.run(main())


@tenants.command("export")
@click.argument("slug")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the archive [default: SLUG-DATE.usina.zip].",
)
@_fail_cleanly
def tenants_export(slug: str, output: str | None) -> None:
    """Write everything of a municipality (rows, files, settings, audit trail) to an archive."""
    from datetime import UTC, datetime
    from pathlib import Path

    from tenants.portability import export_municipality

    path = Path(output or f"{slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}.usina.zip")
    summary = _owner_run(
        lambda engine, store, _versions: export_municipality(
            engine, store, slug, path, by=CLI_PRINCIPAL
        )
    )
    click.echo(
        f"exported {summary.slug}: {summary.total_rows} rows, {summary.files} files "
        f"to {path} (sha256 {summary.sha256})"
    )


@tenants.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@_fail_cleanly
def tenants_import(archive: str) -> None:
    """Load a municipality from an archive written by `usina tenants export` (at this schema
    revision or an older one). Its people's earlier tokens are refused: they sign in again."""
    from pathlib import Path

    from tenants.portability import import_municipality
    from usina.migrate import revisions

    known = revisions()
    summary = _owner_run(
        lambda engine, store, versions: import_municipality(
            engine, store, Path(archive), by=CLI_PRINCIPAL, revisions=known, versions=versions
        )
    )

    async def summarize(uow: Any) -> None:  # its line in the consultancy's portfolio
        from core.municipalities import service as municipalities
        from plugins.manager import make_plugin_manager
        from plugins.portfolio import refresh
        from tenants.context import TenantBinding

        async with uow.db.session(None) as session:
            municipality = await municipalities.get_by_slug(session, summary.slug)
        binding = TenantBinding(municipality.id, municipality.slug, sees_drafts=True)
        await refresh(uow.db, make_plugin_manager(), binding)

    _run(summarize)
    click.echo(f"imported {summary.slug}: {summary.total_rows} rows, {summary.files} files")


@tenants.command("delete")
@click.argument("slug")
@click.option(
    "--confirm",
    "confirmation",
    metavar="SLUG",
    help="The slug again, to confirm without a prompt (scripts).",
)
@_fail_cleanly
def tenants_delete(slug: str, confirmation: str | None) -> None:
    """Erase a municipality: every row, file and audit event of it, and the people who
    belonged to it alone. A record of the erasure stays at the platform level. Export it
    first if it should be kept."""
    from core.errors import BadUserInput
    from core.i18n import msg
    from tenants.portability import delete_municipality

    if confirmation is None:
        confirmation = click.prompt(
            f"This erases '{slug}' and cannot be undone. Type its slug to confirm",
            default="",
            show_default=False,
        )
    if confirmation != slug:
        raise BadUserInput(
            msg(
                f"Not confirmed: type '{slug}' to erase it. Nothing was deleted.",
                f"Sin confirmar: escriba '{slug}' para borrarlo. No se borró nada.",
                f"Não confirmado: digite '{slug}' para apagá-lo. Nada foi apagado.",
            ),
            field="confirm",
        )
    summary = _owner_run(
        lambda engine, store, versions: delete_municipality(
            engine, store, slug, by=CLI_PRINCIPAL, versions=versions
        )
    )
    for note in summary.notes:
        click.echo(f"warning: {note}", err=True)
    click.echo(f"deleted {summary.slug}: {summary.total_rows} rows, {summary.files} files")


@main.group()
def scale() -> None:
    """Past one PostgreSQL: Citus, sharded by municipality (docs/scaling.md)."""


@scale.command("distribute")
@click.option(
    "--shard-count",
    type=click.IntRange(1, 4096),
    help="Shards per municipal table when first distributed [default: citus.shard_count].",
)
@_fail_cleanly
def scale_distribute(shard_count: int | None) -> None:
    """Make the platform tables reference tables and every municipal table a distributed table
    colocated on tenant_id, on a database with the citus extension (as the tables' owner).
    Idempotent: run after every `usina migrate`."""
    from tenants.distribution import distribute

    async def main() -> Any:
        from tenants.portability import owner_engine

        engine = owner_engine(get_settings().owner_database_url)
        try:
            return await distribute(engine, shard_count=shard_count)
        finally:
            await engine.dispose()

    done = asyncio.run(main())
    if not done.changed:
        click.echo(f"already distributed: {done.already_placed} tables placed, nothing to do")
        return
    click.echo(
        f"distributed: {len(done.reference)} reference tables, {len(done.distributed)} "
        f"distributed tables colocated on tenant_id, {done.foreign_keys} foreign keys put back; "
        "restart the app so that its connections take citus.propagate_set_commands"
    )


@main.group()
def tokens() -> None:
    """Access tokens from the built-in issuer."""


@tokens.command("issue")
@click.option("--tenant", help="Municipality slug (not for platform_admin).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--subject", required=True, help="Who the token is for.")
@click.option("--ttl", type=int, help="Lifetime in seconds.")
@click.option("--email", help="The e-mail the token vouches for (where notices go).")
@click.option("--name", help="The name the token vouches for (how contributions are signed).")
@_fail_cleanly
def tokens_issue(
    tenant: str | None,
    role: str,
    subject: str,
    ttl: int | None,
    email: str | None,
    name: str | None,
) -> None:
    """Print a signed access token."""
    from core import validation
    from core.municipalities import service as municipalities

    extra: dict[str, str] = {}
    if email:
        extra["email"] = validation.email("email", email) or ""
    if name:
        extra["name"] = validation.text("name", name, max_length=200)

    if tenant:

        async def check(uow: Any) -> None:
            async with uow.db.session(None) as session:
                await municipalities.get_by_slug(session, tenant)

        _run(check)

    async def issue(uow: Any) -> str:
        service = TokenService.from_settings(get_settings())
        async with uow.db.session(None) as session:
            await service.refresh(session)
        return service.issue(
            subject=subject, role=role, tenant=tenant, ttl_seconds=ttl, extra=extra
        )

    click.echo(_run(issue))


@main.group()
def keys() -> None:
    """The built-in issuer's signing keys (kept in the database)."""


@keys.command("rotate")
@_fail_cleanly
def keys_rotate() -> None:
    """Start signing with a new key; the previous one verifies until its tokens expire."""
    from core.identity.tokens import rotate

    async def run(uow: Any) -> str:
        async with uow.transaction(None) as session:
            row = await rotate(session)
        return row.kid

    click.echo(f"signing with key {_run(run)}; previous keys stay valid for verification")


@keys.command("list")
def keys_list() -> None:
    """Print each key: kid, created, retired (empty when it is the signing key)."""
    from sqlalchemy import select

    from core.identity.models import SigningKey

    async def run(uow: Any) -> list[SigningKey]:
        async with uow.db.session(None) as session:
            rows = await session.execute(select(SigningKey).order_by(SigningKey.created_at))
            return list(rows.scalars())

    for row in _run(run):
        retired = row.retired_at.isoformat() if row.retired_at else ""
        click.echo(f"{row.kid}\t{row.created_at.isoformat()}\t{retired}")


@main.group()
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
@click.option("--check", is_flag=True, help="Exit 1 if the committed SDL is stale.")
def schema_export(check: bool) -> None:
    """Write graphql_schema/schema.graphql (the committed SDL snapshot)."""
    from graphql_schema.schema import SDL_PATH, export_sdl

    sdl = export_sdl()
    if check:
        current = SDL_PATH.read_text() if SDL_PATH.exists() else ""
        if current != sdl:
            click.echo("schema.graphql is stale: run 'usina schema export'", err=True)
            sys.exit(1)
        click.echo("schema.graphql is current")
        return
    SDL_PATH.write_text(sdl)
    click.echo(f"wrote {SDL_PATH}")


@main.group()
def ide() -> None:
    """GraphiQL's assets, served by Usina itself (no CDN needed)."""


@ide.command("install")
@click.option("--dir", "directory", help="Where to keep them (default USINA_IDE_ASSETS_DIR).")
@_fail_cleanly
def ide_install(directory: str | None) -> None:
    """Download GraphiQL's assets from the npm registry, checked against their integrity."""
    from pathlib import Path

    import httpx
    from strawberry.http.ides import get_graphql_ide_html

    from graphql_schema import ide as assets

    settings = get_settings()
    target = Path(directory or settings.ide_assets_dir)
    try:
        count = assets.install(get_graphql_ide_html("graphiql"), target, settings.npm_registry)
    except (httpx.HTTPError, RuntimeError) as error:
        click.echo(f"error: the IDE's assets could not be installed: {error}", err=True)
        sys.exit(6)
    click.echo(f"installed {count} GraphiQL files in {target}")
