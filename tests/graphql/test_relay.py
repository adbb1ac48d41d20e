"""Relay, the real client: relay-compiler compiles the portal tree in Relay's form
(``@connection`` with ``edges { node }``, ``@refetchable`` fragments) against the committed SDL,
and relay-runtime runs the compiled query, and a refetch through ``node(id:)``, against the
live server — within the limits (``edges`` and ``node`` are not depth)."""

from __future__ import annotations

import json
import shutil
import subprocess

from tests.graphql.conftest import NODE_TOOLS, node_or_skip

RELAY = NODE_TOOLS / "relay"


def test_relay_compiles_and_runs_the_portal_tree_against_the_live_server(live_server: str) -> None:
    node = node_or_skip("relay-compiler")
    artifacts = RELAY / "__generated__"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir()
    compiled = subprocess.run(
        [node, str(NODE_TOOLS / "node_modules" / "relay-compiler" / "cli.js")],
        cwd=RELAY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    # The artifacts are CommonJS (their requires name no extension); node reads them as such.
    (artifacts / "package.json").write_text('{"type": "commonjs"}\n')
    ran = subprocess.run(
        [node, str(RELAY / "run.mjs"), live_server, "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = json.loads(ran.stdout)
    assert summary["errors"] == []
    assert summary["municipality"] == "Villa Usina (demo)"
    assert summary["plans"] == 1 and summary["commitments"] == 3
    assert summary["refetchedCommitments"] == 2  # node(id:) with count: 2, as @refetchable does
