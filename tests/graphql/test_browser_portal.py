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
    node = node_or_skip("axe-core")
    node_or_skip("playwright-core")
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
    # USINA_PORTAL_SCREENSHOTS=docs/img refreshes the pictures in docs/portals.md.
    screenshots = Path(os.environ.get("USINA_PORTAL_SCREENSHOTS") or tmp_path).resolve()
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
                str(screenshots),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=NODE_TOOLS,
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads(ran.stdout)
    expected = {
        "es": ("Plan de Acción de Gobierno Abierto", "Incorporada al plan", "Versión 2", " de "),
        "en": ("Open Government Action Plan", "Taken into the plan", "Version 2", " 20"),
        "pt": ("Plano de Ação de Governo Aberto", "Incorporada ao plano", "Versão 2", " de "),
    }
    for lang, (eyebrow, accepted, version, date_words) in expected.items():
        page = result["languages"][lang]
        assert page["state"] == "ready" and page["lang"] == lang, (lang, page)
        assert page["eyebrow"] == eyebrow and page["municipality"] == "Villa Usina (demo)"
        assert page["brand"] == "rgb(31, 95, 139)"  # the demo's primary colour, #1f5f8b
        assert len(page["plans"]) == 1 and page["commitments"] == 3 and page["bars"] == 3
        assert page["ratings"] >= 1  # the published IRM-style evaluation
        # One completion level per commitment: the evaluator's where published, else derived.
        assert len(page["completion"]) == 3
        assert sum("(" in level for level in page["completion"]) == 3
        assert page["diagnostic"] == ["Diagnóstico inicial"]
        assert len(page["proposals"]) == 3  # what became of each proposal
        assert sum(answer.endswith(accepted) for answer in page["answers"]) == 2
        assert any(led.endswith("1. Portal de datos abiertos municipal") for led in page["ledTo"])
        assert page["record"] == 3 and page["downloads"] == 4  # open data, linked
        assert len(page["kpis"]) == 1
        assert page["changelog"][0].startswith(version) and len(page["changelog"]) == 2
        assert date_words in page["changelog"][0]
        assert page["isoDates"] == [], page["isoDates"]  # dates for people, not ISO
        assert page["emptyHeadings"] == []  # empty sections are hidden
        assert set(page["requests"]) == {"GET"}  # persisted queries over GET
        serious = [v for v in page["axe"] if v["impact"] in ("serious", "critical")]
        assert serious == [], (lang, serious)
    assert result["switched"] == "Open Government Action Plan"
    phone = result["phone"]
    assert phone["state"] == "ready" and not phone["horizontalScroll"]
    assert [v for v in phone["axe"] if v["impact"] in ("serious", "critical")] == []
    for picture in ("portal.png", "portal-phone.png"):
        assert (screenshots / picture).stat().st_size > 10_000
    blocked = result["other"]
    assert blocked["state"] == "failed" and blocked["commitments"] == 0
    assert blocked["corsBlocked"]
    down = result["down"]  # the API unreachable: a sentence for people, in their language
    assert down["state"] == "failed"
    assert down["error"] == [
        "Não foi possível conectar ao servidor de dados do município. Verifique a sua conexão "
        "e tente novamente."
    ]
    assert [v for v in down["axe"] if v["impact"] in ("serious", "critical")] == []
