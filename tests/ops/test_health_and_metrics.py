"""``/healthz``, ``/readyz``, ``/metrics`` and the JSON request logs."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core import observability as obs
from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.database import Database
from tests.factories import World, gql


async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.oidc.close()


async def test_healthz_is_liveness_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_database_and_redis(db: Database) -> None:
    app = create_app(Settings(rate_limit=True, embedded_worker=False), db=db)
    async for http in client_for(app):
        response = await http.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://usina@127.0.0.1:1/nowhere",  # PostgreSQL down
        "sqlite+aiosqlite:////nonexistent-dir/usina.db",
    ],
)
async def test_readyz_fails_when_the_database_is_down(url: str) -> None:
    down = Database.from_url(url)
    app = create_app(Settings(embedded_worker=False), db=down)
    try:
        async for http in client_for(app):
            response = await http.get("/readyz")
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "unavailable"
            assert body["checks"]["database"].startswith("error")
            assert (await http.get("/healthz")).status_code == 200  # alive, not ready
    finally:
        await down.dispose()


async def test_readyz_says_degraded_but_stays_ready_when_redis_is_down(db: Database) -> None:
    """Without Redis a pod still answers (from the database, uncached): Kubernetes must keep
    routing to it, so readiness holds and the status says what is missing."""
    app = create_app(
        Settings(workers="redis", redis_url="redis://127.0.0.1:1/0", embedded_worker=False), db=db
    )
    async for http in client_for(app):
        response = await http.get("/readyz")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["redis"].startswith("error")


def sample(metrics: str, metric: str, **labels: str) -> float | None:
    for line in metrics.splitlines():
        if not line.startswith(metric + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics(client: httpx.AsyncClient, world: World, tokens: TokenService) -> None:
    cost_before = obs.TENANT_COST.counts.get(world.a.slug, 0.0)
    before = await client.get("/metrics")
    ok_before = (
        sample(before.text, "usina_graphql_operations_total", name="Portal", outcome="ok") or 0
    )
    await gql(client, "query Portal { municipality { name } }", tenant=world.a.slug)
    await gql(client, 'query Portal { node(id: "nope") { id } }', tenant=world.a.slug)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        sample(text, "usina_graphql_operations_total", name="Portal", outcome="ok") == ok_before + 1
    )
    assert sample(text, "usina_graphql_errors_total", code="BAD_USER_INPUT")
    assert sample(text, "usina_http_requests_total", route="/graphql", status="200")
    assert sample(text, "usina_http_request_duration_seconds_bucket", route="/graphql", le="+Inf")
    assert sample(text, "usina_graphql_operation_duration_seconds_count", type="query")
    # The request's cost counted for its municipality; the exposition shows the top few only.
    assert obs.TENANT_COST.counts.get(world.a.slug, 0.0) > cost_before
    top = re.findall(r'^usina_tenant_top_cost_points\{tenant="([^"]+)"\}', text, re.M)
    assert 1 < len(top) <= obs.TENANT_COST.shown + 1 and top[-1] == "other"
    assert sample(text, "usina_job_queue_depth", queue="usina") is not None
    assert "usina_jobs_total" in text


async def test_metric_labels_stay_bounded(client: httpx.AsyncClient, world: World) -> None:
    for i in range(obs.MAX_OPERATION_NAMES + 20):
        await gql(client, f"query Op{i} {{ __typename }}", tenant=world.a.slug)
    text = (await client.get("/metrics")).text
    names = set(re.findall(r'usina_graphql_operations_total\{name="([^"]+)"', text))
    assert len(names) <= obs.MAX_OPERATION_NAMES + 2  # plus "other" and "anonymous"
    assert "other" in names
    paths = set(re.findall(r'usina_http_requests_total\{method="[A-Z]+",route="([^"]+)"', text))
    await client.get("/files/" + "x" * 40)
    await client.get("/notifications/unsubscribe/" + "y" * 40 + "/z")
    await client.get("/no/such/path/12345")
    again = (await client.get("/metrics")).text
    routes = set(re.findall(r'usina_http_requests_total\{method="[A-Z]+",route="([^"]+)"', again))
    # (/metrics itself: counted once the first exposition was answered.)
    assert routes - paths <= {
        "/files/{id}",
        "/notifications/unsubscribe/{link}",
        "/metrics",
        "other",
    }


def test_one_noisy_municipality_shows_without_a_label_per_municipality() -> None:
    hitters = obs.HeavyHitters(capacity=64, shown=10)
    for i in range(10_000):
        hitters.add(f"quiet-{i}", 1)
        if i % 10 == 0:
            hitters.add("noisy", 50)
    top = hitters.top()
    assert top[0][0] == "noisy"
    assert len(top) == 11 and top[-1][0] == "other"
    assert sum(value for _, value in top) == hitters.total


async def test_request_logs_are_json_with_context_and_no_secrets(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(obs.UsinaJsonFormatter("{message}", style="{"))
    logger = logging.getLogger("usina.http")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = tokens.issue(subject="ana", role="editor", tenant=world.a.slug)
    try:
        response = await client.post(
            "/graphql?token=" + token,
            json={"query": "{ viewer { subject } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-12345678"},
        )
    finally:
        logger.removeHandler(handler)
    assert response.headers["x-request-id"] == "req-12345678"
    (line,) = [json.loads(raw) for raw in stream.getvalue().splitlines()]
    assert line["message"] == "request"
    assert line["request_id"] == "req-12345678"
    assert line["tenant"] == world.a.slug
    assert line["principal"] == "editor:ana"
    assert line["status"] == 200
    assert token not in stream.getvalue()
    assert token.split(".")[1] not in stream.getvalue()


def test_redaction() -> None:
    text = obs.redact(
        "Authorization: Bearer abc.def-ghi /files/x?token=eyJhbGciOi.eyJzdWIiOi.sig "
        "client_secret=s3cr3t&password=hunter2"
    )
    assert "abc.def-ghi" not in text and "s3cr3t" not in text and "hunter2" not in text
    assert "eyJzdWIiOi" not in text


async def test_metrics_are_not_on_the_public_listener_in_production(
    db: Database, settings: Settings
) -> None:
    """The metrics name municipalities and their error counts: in production they are served
    only on the metrics port (the chart's scrape port, which no Ingress routes)."""
    import asyncio
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for production in (
        settings.model_copy(
            update={"environment": "production", "public_url": "http://testserver"}
        ),
        settings.model_copy(update={"metrics_port": port, "metrics_host": "127.0.0.1"}),
    ):
        app = create_app(production, db=db)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                assert (await client.get("/metrics")).status_code == 404
            if production.metrics_port is not None:
                scraped = await asyncio.to_thread(
                    httpx.get, f"http://127.0.0.1:{port}/metrics", timeout=5
                )
                assert scraped.status_code == 200
                assert "usina_http_requests_total" in scraped.text
        await app.state.oidc.close()
