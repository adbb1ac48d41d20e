"""The municipality directory (``tenants/directory.py``): a process keeps each municipality's
row while its data version is current, so a request reads no municipality from the database,
and a change is seen at once in the process that made it (and within a second elsewhere)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.enums import MunicipalityStatus
from core.identity.principal import SYSTEM
from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.provisioning import set_status
from tenants.unit_of_work import UnitOfWork
from tests.factories import World, error_codes, gql

READ = "{ municipality { name } }"


async def test_a_warm_request_reads_no_municipality_from_the_database(
    client: Any, world: World, count_statements: Any
) -> None:
    await gql(client, READ, tenant=world.a.slug)
    count_statements.statements.clear()
    result = await gql(client, READ, tenant=world.a.slug)
    assert result["data"] == {"municipality": {"name": world.a.municipality.name}}
    assert not any("from municipalities" in s.lower() for s in count_statements.statements)


async def test_a_change_made_here_is_seen_by_the_next_request(
    client: Any, world: World, tokens: TokenService
) -> None:
    assert error_codes(await gql(client, READ, tenant=world.b.slug)) == []
    admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
    suspend = "mutation($s: String!) { setMunicipalityStatus(input: {slug: $s, status: SUSPENDED}) { municipality { status } } }"
    assert error_codes(await gql(client, suspend, {"s": world.b.slug}, token=admin)) == []
    assert error_codes(await gql(client, READ, tenant=world.b.slug)) == ["TENANT_SUSPENDED"]


async def test_a_change_made_by_another_process_is_seen_once_the_version_is_re_read(
    db: Any, settings: Any, world: World
) -> None:
    app = create_app(settings, db=db)
    app.state.directory.versions.ttl = 0.2  # the memory clock's trust in a version it saw
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert error_codes(await gql(http, READ, tenant=world.b.slug)) == []
        # As the CLI would, from another process: no listener of this app hears the commit.
        await set_status(UnitOfWork(db), SYSTEM, world.b.slug, MunicipalityStatus.SUSPENDED)
        await asyncio.sleep(0.3)
        assert error_codes(await gql(http, READ, tenant=world.b.slug)) == ["TENANT_SUSPENDED"]
    await app.state.oidc.close()


async def test_every_writer_publishes_its_commits_version(db: Any, world: World) -> None:
    """A job's, the CLI's or a request's unit of work publishes the version it committed, so
    every process's readers (through Redis in production) see the change at once."""
    from tenants.versions import MemoryVersions

    versions = MemoryVersions(ttl=60)
    uow = UnitOfWork(db, versions=versions)
    await set_status(uow, SYSTEM, world.b.slug, MunicipalityStatus.SUSPENDED)
    async with db.session(None) as session:
        from core.municipalities.models import Municipality

        row = await session.get(Municipality, world.b.municipality.id)
        assert row is not None
    assert await versions.current(world.b.municipality.id) == row.data_version


@pytest.mark.redis
async def test_an_older_version_never_hides_a_newer_one_in_redis() -> None:
    """Set-if-greater: a reader that read the database before a commit cannot overwrite the
    version that commit published."""
    import uuid

    import redis.asyncio as aioredis

    from tenants.versions import RedisVersions

    client = aioredis.Redis.from_url(Settings().redis_url)
    versions = RedisVersions(client, f"usina-test-{uuid.uuid4().hex[:8]}")
    tenant = uuid.uuid4()
    try:
        assert await versions.current(tenant) is None
        await versions.observe(tenant, 7)
        await versions.observe(tenant, 5)  # a stale read arriving late
        assert await versions.current(tenant) == 7
        await versions.observe(tenant, 8)
        assert await versions.current(tenant) == 8
    finally:
        await client.delete(versions._key(tenant))
        await versions.close()
