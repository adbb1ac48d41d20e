"""The reference portal (``examples/portal``) in a real browser: headless Chromium (Debian's,
driven by playwright-core) opens it on a loopback origin the municipality allowed, against a
live ``usina serve`` on another origin, and renders the demo's plan and commitments through
persisted GET queries; the same page on an origin nobody allowed is blocked by the browser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.graphql.conftest import NODE_TOOLS, _free_port, node_or_skip, seeded, serving

CHROMIUM = Path("/usr/bin/chromium")
SET = "mutation($o: [String!]!) { setPortalOrigins(input: {origins: $o}) { municipality { portalOrigins } } }"


def test_the_reference_portal_renders_in_chromium_only_where_allowed(tmp_path: Path) -> None:
    node = node_or_skip("playwright-core")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is needed (make test installs it)")
        pytest.skip("chromium is not installed")
    env = seeded(tmp_path)
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
            "tenant_admin",
            "--subject",
            "adm",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    allowed, other = _free_port(), _free_port()
    # USINA_PORTAL_SCREENSHOT=docs/img/portal.png refreshes the picture in docs/portals.md.
    screenshot = Path(os.environ.get("USINA_PORTAL_SCREENSHOT") or tmp_path / "portal.png")
    with serving(env) as api:
        granted = httpx.post(
            api,
            json={"query": SET, "variables": {"o": [f"http://127.0.0.1:{allowed}"]}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert "errors" not in granted, granted
        ran = subprocess.run(
            [
                node,
                str(NODE_TOOLS / "portal" / "browser.mjs"),
                api,
                "demo",
                str(allowed),
                str(other),
                str(screenshot),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=NODE_TOOLS,
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads(ran.stdout)
    page = result["allowed"]
    assert page["state"] == "ready" and page["municipality"] == "Villa Usina (demo)"
    assert len(page["plans"]) == 1 and page["commitments"] == 3 and page["bars"] == 3
    assert page["ratings"] >= 1  # the published IRM-style evaluation
    assert set(page["requests"]) == {"GET"}  # persisted queries over GET
    assert result["english"] == "Open Government Action Plan"
    assert screenshot.stat().st_size > 10_000
    blocked = result["other"]
    assert blocked["state"] == "failed" and blocked["commitments"] == 0
    assert blocked["corsBlocked"]
