"""The response cache shared by two live ``usina serve`` processes through the real Redis:
an answer cached by one is served by the other, and after a write committed through either,
the next anonymous read from both reflects it (the data version moved; nothing is stale)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.graphql.conftest import seeded, serving

pytestmark = pytest.mark.redis

ACTORS = "{ actors { totalCount } }"


def metric(url: str, outcome: str) -> float:
    text = httpx.get(url.replace("/graphql", "/metrics"), timeout=5).text
    for line in text.splitlines():
        if line.startswith(f'usina_response_cache_total{{outcome="{outcome}"}}'):
            return float(line.split()[-1])
    return 0.0


def read(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, params={"query": ACTORS}, headers={"X-Tenant": "demo", **headers}, timeout=10)


def test_two_processes_share_answers_and_never_serve_a_stale_one(tmp_path: Path) -> None:
    env = seeded(
        tmp_path,
        {
            "USINA_RESPONSE_CACHE": "redis",
            "USINA_PERSISTED_QUERIES": "redis",
            "USINA_CACHE_PREFIX": f"usina-test-{uuid.uuid4().hex[:8]}",
        },
    )
    token = subprocess.run(
        [sys.executable, "-m", "usina", "tokens", "issue", "--tenant", "demo", "--role", "editor", "--subject", "ed"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "usina", "tenants", "create", "--slug", "otra", "--name", "Otra Villa", "--country", "AR"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
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
            json={"query": 'mutation { createActor(input: {kind: ACADEMIA, name: "U"}) { actor { id } } }'},
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
