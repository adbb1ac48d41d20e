"""The response cache shared by two live ``usina serve`` processes through the real Redis:
an answer cached by one is served by the other, and after a write committed through either,
the next anonymous read from both reflects it (the data version moved; nothing is stale)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_schema.relay import to_global_id
from tests.conftest import FIXTURE_PLUGIN_SITE, REPO
from tests.factories import World, graphql_body
from tests.graphql.conftest import seeded, serving
from tests.graphql.test_audit import MUTATIONS
from tests.graphql.test_http_caching import KEEPS_THE_VERSION, PLANS

pytestmark = pytest.mark.redis

ACTORS = "{ actors { totalCount } }"


def metric(url: str, outcome: str) -> float:
    text = httpx.get(url.replace("/graphql", "/metrics"), timeout=5).text
    for line in text.splitlines():
        if line.startswith(f'usina_response_cache_total{{outcome="{outcome}"}}'):
            return float(line.split()[-1])
    return 0.0


def read(url: str, **headers: str) -> httpx.Response:
    return httpx.get(
        url, params={"query": ACTORS}, headers={"X-Tenant": "demo", **headers}, timeout=10
    )


def test_two_processes_share_answers_and_never_serve_a_stale_one(tmp_path: Path) -> None:
    env = seeded(
        tmp_path,
        {
            "USINA_RESPONSE_CACHE": "redis",
            "USINA_PERSISTED_QUERIES": "redis",
            "USINA_CACHE_PREFIX": f"usina-test-{uuid.uuid4().hex[:8]}",
            # Replicas share answers when their links share a base: the configured public URL
            # (the cache keys on the link base, never on a request's Host alone).
            "USINA_PUBLIC_URL": "http://usina.test",
        },
    )
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "usina",
            "tokens",
            "issue",
            "--tenant",
            "demo",
            "--role",
            "editor",
            "--subject",
            "ed",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "usina",
            "tenants",
            "create",
            "--slug",
            "otra",
            "--name",
            "Otra Villa",
            "--country",
            "AR",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    with serving(env) as one, serving(env) as two:
        first = read(one)
        hits_before = metric(two, "hit")
        shared = read(two)
        assert shared.json() == first.json() and shared.headers["etag"] == first.headers["etag"]
        assert metric(two, "hit") == hits_before + 1  # computed by one, served by two

        count = first.json()["data"]["actors"]["totalCount"]
        created: Any = httpx.post(
            one,
            json={
                "query": 'mutation { createActor(input: {kind: ACADEMIA, name: "U"}) { actor { id } } }'
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert "errors" not in created, created
        for url in (two, one):
            after = read(url)
            assert after.json()["data"]["actors"]["totalCount"] == count + 1
            assert after.headers["etag"] != first.headers["etag"]
            assert read(url, **{"If-None-Match": first.headers["etag"]}).status_code == 200

        # Another municipality never gets demo's cached body, nor a 304 for demo's ETag.
        other = httpx.get(
            two,
            params={"query": "{ municipality { name } }"},
            headers={"X-Tenant": "otra", "If-None-Match": first.headers["etag"]},
            timeout=10,
        )
        assert other.status_code == 200
        assert other.json()["data"] == {"municipality": {"name": "Otra Villa"}}

        staff = httpx.get(
            two, params={"query": ACTORS}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert staff.headers["cache-control"] == "private, no-store"


@pytest.fixture(scope="module")
def two_processes(backend: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Two ``usina serve`` processes on the suite's own database (so the test world is there),
    sharing the real Redis for persisted queries, cached answers and data versions."""
    if backend == "postgres":
        url = str(request.getfixturevalue("postgres_urls")["app"])
    else:
        url = str(request.getfixturevalue("sqlite_url"))
    env = os.environ | {
        "USINA_DATABASE_URL": url,
        "USINA_RESPONSE_CACHE": "redis",
        "USINA_PERSISTED_QUERIES": "redis",
        "USINA_CACHE_PREFIX": f"usina-test-{uuid.uuid4().hex[:8]}",
        "USINA_EMBEDDED_WORKER": "false",
    }
    with serving(env) as one, serving(env) as two:
        yield one, two


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_a_write_through_one_process_is_read_current_from_the_other(
    two_processes: tuple[str, str], world: World, tokens: Any, mutation: str
) -> None:
    """Each mutation of the audit meta-test's list, made through one process: the other's next
    anonymous read is not the answer it cached before (or is refused, once suspended)."""
    one, two = two_processes
    document, variables, role, _ = MUTATIONS[mutation]
    token = tokens.issue(
        subject=f"{role}-1", role=role, tenant=None if role == "platform_admin" else world.a.slug
    )
    unbound = {"createMunicipality", "setMunicipalityStatus"}
    bind = (
        {"X-Tenant": world.a.slug} if role == "platform_admin" and mutation not in unbound else {}
    )
    async with httpx.AsyncClient(timeout=20) as http:

        async def read(**headers: str) -> httpx.Response:
            return await http.get(
                two, params={"query": PLANS}, headers={"X-Tenant": world.a.slug, **headers}
            )

        before = await read()
        assert (await read()).headers["x-usina-cache"] == "hit"
        written = await http.post(
            one,
            **graphql_body(document, variables(world.a)),
            headers={"Authorization": f"Bearer {token}", **bind},
        )
        assert "errors" not in written.json(), written.json()
        after = await read()
        if mutation == "setMunicipalityStatus":
            assert after.json()["errors"][0]["extensions"]["code"] == "TENANT_SUSPENDED"
            return
        if mutation in KEEPS_THE_VERSION:
            assert after.headers["etag"] == before.headers["etag"]
            return
        assert after.headers["etag"] != before.headers["etag"]
        assert (await read(**{"If-None-Match": before.headers["etag"]})).status_code == 200


async def test_a_job_that_writes_in_one_process_is_read_current_from_the_other(
    backend: str, request: pytest.FixtureRequest, db: Any, world: World, tokens: Any
) -> None:
    """A plugin's job (the fixture plugin's, installed through its entry point) run by one
    process's worker writes a published rating; the other process's next read reflects it."""
    from core.jobs.models import Job, JobStatus

    url = (
        str(request.getfixturevalue("postgres_urls")["app"])
        if backend == "postgres"
        else str(request.getfixturevalue("sqlite_url"))
    )
    shared = {
        "USINA_DATABASE_URL": url,
        "USINA_RESPONSE_CACHE": "redis",
        "USINA_CACHE_PREFIX": f"usina-test-{uuid.uuid4().hex[:8]}",
        # The fixture plugin, installed for this session only, in the servers too.
        "PYTHONPATH": os.pathsep.join([str(FIXTURE_PLUGIN_SITE), str(REPO)]),
    }
    async with db.session(world.a.binding) as session:  # a failed job, to be retried
        job = Job(
            kind="fixture_plugin.record_target",
            args={"commitment_id": str(world.a.commitment_id), "code": "T9", "value": 9},
            status=JobStatus.FAILED,
            attempts=1,
            max_attempts=1,
            error="RuntimeError: first try",
            created_by="system",
        )
        session.add(job)
        await session.flush()
        job_gid = to_global_id("Job", job.id)
    query = "query($c: ID!) { node(id: $c) { ... on Commitment { evaluations { framework } } } }"
    variables = json.dumps({"c": world.a.gid("Commitment")})
    editor = tokens.issue(subject="adm", role="tenant_admin", tenant=world.a.slug)
    with (
        serving(os.environ | shared) as worker,
        serving(os.environ | shared | {"USINA_EMBEDDED_WORKER": "false"}) as reader,
    ):
        async with httpx.AsyncClient(timeout=20) as http:

            async def frameworks() -> list[str]:
                answer = await http.get(
                    reader,
                    params={"query": query, "variables": variables},
                    headers={"X-Tenant": world.a.slug},
                )
                assert answer.status_code == 200, (answer.status_code, answer.text)
                return sorted(e["framework"] for e in answer.json()["data"]["node"]["evaluations"])

            assert "fixture_targets" not in await frameworks()
            retried = await http.post(
                worker,
                json={
                    "query": "mutation($id: ID!) { retryJob(input: {id: $id}) { job { status } } }",
                    "variables": {"id": job_gid},
                },
                headers={"Authorization": f"Bearer {editor}"},
            )
            assert "errors" not in retried.json(), retried.json()
            for _ in range(100):  # the worker process runs it in the background
                state = await http.post(
                    worker,
                    json={
                        "query": "query($id: ID!) { node(id: $id) { ... on Job { status } } }",
                        "variables": {"id": job_gid},
                    },
                    headers={"Authorization": f"Bearer {editor}"},
                )
                assert state.status_code == 200, (state.status_code, state.text)
                if state.json()["data"]["node"]["status"] in ("SUCCEEDED", "FAILED"):
                    break
                await asyncio.sleep(0.1)
            assert state.json()["data"]["node"]["status"] == "SUCCEEDED"
            # The job's status is committed before the worker publishes the new data version
            # to Redis: the reader is current once that publish lands (milliseconds).
            for _ in range(30):
                if "fixture_targets" in await frameworks():
                    break
                await asyncio.sleep(0.1)
            assert "fixture_targets" in await frameworks()
