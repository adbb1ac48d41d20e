"""What portal developers use, against a live ``usina serve``: Apollo Client 4 with
``PersistedQueryLink`` (POST and ``useGETForHashedQueries``) runs the portal query — a miss
answered ``PERSISTED_QUERY_NOT_FOUND``, then hash-only requests — and, with trusted documents
on, an unregistered anonymous document is refused with a clear code."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graphql_schema.view import PORTAL_QUERY
from tests.graphql.conftest import NODE_TOOLS, node_or_skip, seeded, serving


def apollo(node: str, url: str, query_file: Path, mode: str) -> dict[str, Any]:
    ran = subprocess.run(
        [node, str(NODE_TOOLS / "apollo" / "portal.mjs"), url, "demo", str(query_file), mode],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=NODE_TOOLS,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result: dict[str, Any] = json.loads(ran.stdout)
    return result


@pytest.mark.parametrize("mode", ["post", "get"])
def test_apollo_persisted_queries_miss_once_then_go_by_hash(
    live_server: str, tmp_path: Path, mode: str
) -> None:
    node = node_or_skip("@apollo/client")
    query_file = tmp_path / "portal.graphql"
    # A document of its own per mode, so that each starts with a miss.
    query_file.write_text(PORTAL_QUERY.replace("query Portal", f"query Portal_{mode}"))
    result = apollo(node, live_server, query_file, mode)
    assert [run["name"] for run in result["runs"]] == ["Villa Usina (demo)"] * 2
    assert all(run["plans"] == 1 and run["error"] is None for run in result["runs"])
    sent = result["sent"]
    assert [(s["hashOnly"], s["codes"]) for s in sent] == [
        (True, ["PERSISTED_QUERY_NOT_FOUND"]),
        (False, []),
        (True, []),
    ]
    if mode == "get":
        assert sent[0]["method"] == "GET" and sent[2]["method"] == "GET"
        assert sent[2]["etag"]  # a hash-only GET is a cacheable anonymous read


def test_apollo_is_refused_an_unregistered_document_with_trusted_documents_on(
    tmp_path: Path,
) -> None:
    node = node_or_skip("@apollo/client")
    env = seeded(tmp_path, {"USINA_TRUSTED_DOCUMENTS": "true"})
    query_file = tmp_path / "portal.graphql"
    query_file.write_text(PORTAL_QUERY)
    with serving(env) as url:
        result = apollo(node, url, query_file, "get")
    assert all(run["name"] is None and run["error"] for run in result["runs"])
    assert "PERSISTED_QUERY_REQUIRED" in {code for s in result["sent"] for code in s["codes"]}
