"""The GraphQL-over-HTTP conformance audit (npm graphql-http) against the live app: no failed
MUST and no SHOULD warning. graphql-yoga passes every audit; so must we."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import httpx
import pytest

from tests.conftest import REPO

AUDIT = REPO / "tests" / "node"


def test_graphql_over_http_audit_passes_every_must_and_should(live_server: str) -> None:
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").exists():
        if os.environ.get("CI"):
            pytest.fail("node and tests/node/node_modules are needed (make test installs them)")
        pytest.skip("node or the graphql-http package is missing")
    out = subprocess.run(
        [node, str(AUDIT / "audit.mjs"), live_server, "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(out.stdout)
    assert len(results) >= 60
    failed = [(r["status"], r["name"], r["reason"]) for r in results if r["status"] != "ok"]
    assert failed == []


def test_a_refused_request_in_graphql_response_json_has_no_data_and_a_4xx(live_server: str) -> None:
    accept = {"Accept": "application/graphql-response+json", "X-Tenant": "demo"}
    parse = httpx.post(live_server, json={"query": "{"}, headers=accept)
    assert parse.status_code == 400 and "data" not in parse.json()
    assert parse.headers["content-type"].startswith("application/graphql-response+json")
    assert parse.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    unknown = httpx.post(
        live_server,
        json={"query": "{ municipality { name } }"},
        headers=accept | {"X-Tenant": "nowhere"},
    )
    assert (
        unknown.status_code == 404
        and unknown.json()["errors"][0]["extensions"]["code"] == "TENANT_UNKNOWN"
    )
    legacy = httpx.post(live_server, json={"query": "{"}, headers={"Accept": "application/json"})
    assert legacy.status_code == 200 and legacy.json()["data"] is None
