"""Fixtures: real databases (SQLite file and PostgreSQL as a restricted role), the app, data.

PostgreSQL tests connect as ``usina_test_app``: neither superuser nor owner of the tables, so
row-level security applies to it. Migrations run as ``usina_test_owner``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.database import Database
from tests.factories import World, build_world
from usina.migrate import upgrade


def _install_fixture_plugin() -> Path:
    """Install tests/fixture_plugin for this test session the way pip would expose it: a
    distribution whose entry_points.txt names it in the ``usina.plugins`` group."""
    import sys
    import tempfile

    site = Path(tempfile.mkdtemp(prefix="usina-test-site-"))
    dist = site / "usina_fixture_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: usina-fixture-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[usina.plugins]\nfixture_plugin = tests.fixture_plugin.usina_fixture\n"
    )
    sys.path.append(str(site))
    return site


#: Put this on a subprocess's PYTHONPATH to give a live server the fixture plugin too.
FIXTURE_PLUGIN_SITE = _install_fixture_plugin()

PG_HOST = os.environ.get("USINA_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("USINA_TEST_PG_PORT", "5432"))
#: ``host:port,...``: the PostgreSQL tests run on a Citus cluster whose coordinator is
#: PG_HOST:PG_PORT; every test database is created on each of these workers too and distributed
#: with ``usina scale distribute`` after migrating (docs/development.md).
CITUS_WORKERS = [w for w in os.environ.get("USINA_TEST_CITUS_WORKERS", "").split(",") if w]
PG_ADMIN_URL = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/test"
OWNER_ROLE = "usina_test_owner"
APP_ROLE = "usina_test_app"


def pg_url(role: str, database: str) -> str:
    return f"postgresql+asyncpg://{role}@{PG_HOST}:{PG_PORT}/{database}"


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            return True
    except OSError:
        return False


def _migrate(settings: Settings) -> None:
    # Alembic's env runs its own event loop: keep it off pytest's loop thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, settings).result()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "usina.db"
    url = f"sqlite+aiosqlite:///{path}"
    _migrate(Settings(database_url=url))
    return url


def _in_thread(coro_fn: Any, *args: Any) -> Any:
    """Run async setup on its own loop, off pytest's loop thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro_fn(*args)).result()


async def _admin(*statements: str, url: str = PG_ADMIN_URL) -> None:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await admin.dispose()


async def _create_database(name: str) -> None:
    """A new test database owned by the owner role (on Citus: on every node, the workers
    added to the coordinator)."""
    create = [
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} OWNER {OWNER_ROLE}",
    ]
    await _admin(*create)
    if not CITUS_WORKERS:
        return
    for worker in CITUS_WORKERS:
        await _admin(*create, url=f"postgresql+asyncpg://postgres@{worker}/test")
        await _admin("CREATE EXTENSION citus", url=f"postgresql+asyncpg://postgres@{worker}/{name}")
    await _admin(
        "CREATE EXTENSION citus",
        f"SELECT citus_set_coordinator_host('{PG_HOST}', {PG_PORT})",
        *(
            f"SELECT citus_add_node('{host}', {port})"
            for host, port in (worker.rsplit(":", 1) for worker in CITUS_WORKERS)
        ),
        url=pg_url("postgres", name),
    )


async def _drop_database(name: str) -> None:
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    for worker in CITUS_WORKERS:
        await _admin(
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            url=f"postgresql+asyncpg://postgres@{worker}/test",
        )


def _distribute(owner_url: str) -> None:
    """On Citus, place the migrated schema (``usina scale distribute``)."""
    if not CITUS_WORKERS:
        return
    from tenants.distribution import distribute
    from tenants.portability import owner_engine

    async def run() -> None:
        engine = owner_engine(owner_url)
        try:
            await distribute(engine)
        finally:
            await engine.dispose()

    _in_thread(run)


@pytest.fixture(scope="session")
def postgres_urls() -> Iterator[dict[str, str]]:
    if not _pg_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable at {PG_HOST}:{PG_PORT} and CI is set")
        pytest.skip("PostgreSQL is not running")
    name = f"usina_test_{os.getpid()}"
    roles = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; "
        # parallel test processes may race to create it
        f"EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        for role in (OWNER_ROLE, APP_ROLE)
    ]
    _in_thread(_admin, *roles)
    _in_thread(_create_database, name)
    urls = {"app": pg_url(APP_ROLE, name), "owner": pg_url(OWNER_ROLE, name)}
    _migrate(
        Settings(
            database_url=urls["app"], migration_database_url=urls["owner"], db_app_role=APP_ROLE
        )
    )
    _distribute(urls["owner"])
    yield urls
    _in_thread(_drop_database, name)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def db(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    if backend == "postgres":
        url = request.getfixturevalue("postgres_urls")["app"]
    else:
        url = request.getfixturevalue("sqlite_url")
    database = Database.from_url(url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Jobs stay queued: the worker tests run them (tests/workers/).
    files = tmp_path_factory.mktemp("files")
    # The suite's OpenID provider listens on loopback: the operator's egress allowlist lets
    # the app reach it (tests/identity/test_egress.py checks the guard without it).
    return Settings(
        graphiql=True, embedded_worker=False, files_dir=str(files), egress_allow=["127.0.0.0/8"]
    )


@pytest.fixture(scope="session")
async def tokens(settings: Settings, db: Database) -> TokenService:
    """The built-in issuer, with the keys in the backend's database (as the app sees them)."""
    service = TokenService.from_settings(settings)
    async with db.session(None) as session:
        await service.refresh(session)
    return service


@pytest.fixture(scope="session")
async def app(db: Database, settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings, db=db)
    yield application
    await application.state.oidc.close()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def world(db: Database) -> World:
    """Two municipalities, A and B, each with a public plan (and all below it) and a draft."""
    return await build_world(db)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(db: Database) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(db.engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine.sync_engine, "before_cursor_execute", counter)


def unique_slug(prefix: str = "m") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


REPO = Path(__file__).resolve().parent.parent
