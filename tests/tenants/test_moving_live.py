"""The operator's round trip, as an operator and a portal see it: ``usina tenants export``,
``delete`` and ``import`` on the demo municipality (with an evidence file and an export) while
``usina serve`` answers, on SQLite and on PostgreSQL (app role neither owner nor superuser,
commands as the owner). The portal's answer, the audit trail and the exports come back
identical; between delete and import the municipality is unknown; tokens issued before the
import are refused; every refusal is an exit code and one line, never a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    APP_ROLE,
    CITUS_WORKERS,
    OWNER_ROLE,
    PG_HOST,
    PG_PORT,
    REPO,
    _create_database,
    _drop_database,
    _in_thread,
    _pg_reachable,
    pg_url,
)
from tests.graphql.conftest import seeded, serving

PORTAL = (REPO / "graphql_schema" / "portal.graphql").read_text()
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MILESTONE = """{ actionPlans(first: 5) { nodes { id status
  commitments(first: 5) { nodes { milestones(first: 5) { nodes { id } } } } } } }"""
UPLOAD = (
    "mutation($m: ID!, $f: Upload!) { uploadEvidence(input: {milestoneId: $m, file: $f}) "
    "{ evidenceFile { id } } }"
)
REPORT = (
    "mutation($m: ID!, $f: ID!) { reportProgress(input: {milestoneId: $m, percent: 80, "
    'narrative: "Acta firmada", evidence: [{fileId: $f, title: "Acta"}]}) { report { id } } }'
)
EXPORT = (
    "mutation($p: ID!) { exportActionPlan(input: {actionPlanId: $p, format: CSV}) { job { id } } }"
)
PORTFOLIO = """{ portfolio(first: 10) { nodes { municipality { slug }
  plan { title progress } delayedMilestones openChannels checklist { met total } } } }"""
JOB = "query($id: ID!) { node(id: $id) { ... on Job { status downloadUrl } } }"
AUDIT = """query($after: String) { auditEvents(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id occurredAt action entityType entityId actorSubject actorRole before after } } }"""


@pytest.fixture(params=["sqlite", "postgres"])
def environment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    files = {"USINA_FILES_DIR": str(tmp_path / "files")}
    if request.param == "sqlite":
        yield seeded(tmp_path, files)
        return
    if not _pg_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable at {PG_HOST}:{PG_PORT} and CI is set")
        pytest.skip("PostgreSQL is not running")
    name = f"usina_move_{uuid.uuid4().hex[:10]}"
    _in_thread(_create_database, name)
    env = os.environ | files
    env |= {
        "USINA_DATABASE_URL": pg_url(APP_ROLE, name),
        "USINA_MIGRATION_DATABASE_URL": pg_url(OWNER_ROLE, name),
        "USINA_DB_APP_ROLE": APP_ROLE,
    }
    steps = [["migrate"], ["scale", "distribute"], ["demo", "seed"]]
    try:
        for step in steps if CITUS_WORKERS else [s for s in steps if s[0] != "scale"]:
            usina(env, *step)
        yield env
    finally:
        _in_thread(_drop_database, name)


def usina(
    env: dict[str, str], *args: str, stdin: str = "", code: int = 0
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "usina", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def unsigned(answer: dict[str, Any]) -> str:
    """An answer without its links' signatures (each answer signs its file links anew)."""
    return re.sub(r"\?token=[^\"]+", "?token=…", json.dumps(answer, sort_keys=True))


class Portal:
    def __init__(self, url: str, http: httpx.Client) -> None:
        self.url, self.http = url, http

    def post(
        self, query: str, token: str | None = None, *, tenant: str | None = "demo", **variables: Any
    ) -> httpx.Response:
        headers = {"X-Tenant": tenant} if tenant else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post(
            self.url, json={"query": query, "variables": variables}, headers=headers
        )

    def ask(
        self, query: str, token: str | None = None, *, tenant: str | None = "demo", **variables: Any
    ) -> dict[str, Any]:
        answer = self.post(query, token, tenant=tenant, **variables)
        body: dict[str, Any] = answer.json()
        assert answer.status_code == 200 and "errors" not in body, body
        return body

    def refusal(self, query: str, token: str | None = None) -> tuple[int, str, str]:
        answer = self.post(query, token)
        error = answer.json()["errors"][0]
        return answer.status_code, error["extensions"]["code"], error["message"]

    def audit(self, token: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.ask(AUDIT, token, after=after)["data"]["auditEvents"]
            events += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return events
            after = page["pageInfo"]["endCursor"]

    def export(self, token: str, plan: str) -> tuple[str, bytes]:
        job = self.ask(EXPORT, token, p=plan)["data"]["exportActionPlan"]["job"]["id"]
        return job, self.download(token, job)

    def download(self, token: str, job: str) -> bytes:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the embedded worker runs the export
            node = self.ask(JOB, token, id=job)["data"]["node"]
            if node["status"] == "SUCCEEDED":
                got = self.http.get(node["downloadUrl"])
                assert got.status_code == 200, got.text
                return got.content
            assert node["status"] != "FAILED", node
            time.sleep(0.2)
        raise AssertionError("the export did not finish")


def test_an_operator_moves_the_demo_out_and_back_while_portals_read_it(
    environment: dict[str, str], tmp_path: Path
) -> None:
    env = environment

    def token() -> str:
        return usina(
            env, "tokens", "issue", "--tenant", "demo", "--role", "tenant_admin",
            "--subject", "admin-demo",
        ).stdout.strip()  # fmt: skip

    admin = token()
    archive = tmp_path / "demo.usina.zip"
    with serving(env) as url, httpx.Client(timeout=30) as http:
        portal = Portal(url, http)
        plans = portal.ask(MILESTONE, admin)["data"]["actionPlans"]["nodes"]
        plan = next(p for p in plans if p["commitments"]["nodes"])
        milestone = plan["commitments"]["nodes"][0]["milestones"]["nodes"][0]["id"]
        uploaded = portal.http.post(
            url,
            data={
                "operations": json.dumps(
                    {"query": UPLOAD, "variables": {"m": milestone, "f": None}}
                ),
                "map": json.dumps({"0": ["variables.f"]}),
            },
            files={"0": ("acta.pdf", PDF, "application/pdf")},
            headers={"Authorization": f"Bearer {admin}", "X-Tenant": "demo"},
        ).json()
        file_id = uploaded["data"]["uploadEvidence"]["evidenceFile"]["id"]
        portal.ask(REPORT, admin, m=milestone, f=file_id)
        job, exported = portal.export(admin, plan["id"])
        before = {"portal": portal.ask(PORTAL), "audit": portal.audit(admin)}
        root = usina(
            env, "tokens", "issue", "--role", "platform_admin", "--subject", "root"
        ).stdout.strip()
        line = portal.ask(PORTFOLIO, root, tenant=None)["data"]["portfolio"]["nodes"]
        assert [n["municipality"]["slug"] for n in line] == ["demo"]

        # Out: the archive, then the erasure (refused until confirmed).
        said = usina(env, "tenants", "export", "demo", "--output", str(archive)).stdout
        assert said.startswith("exported demo:") and archive.exists()
        refused = usina(env, "tenants", "delete", "demo", stdin="villa\n", code=2)
        assert "BAD_USER_INPUT (confirm)" in refused.stderr
        usina(env, "tenants", "delete", "demo", "--confirm", "other", code=2)
        assert portal.ask(PORTAL)["data"]["municipality"]["name"]  # still there
        assert usina(env, "tenants", "delete", "demo", "--confirm", "demo").stdout.startswith(
            "deleted demo:"
        )
        time.sleep(1.2)  # the embedded default's processes trust a version for 1 s
        for who in (None, admin):
            status, code, _ = portal.refusal(PORTAL, who)
            assert (status, code) == (404, "TENANT_UNKNOWN")
        assert portal.ask(PORTFOLIO, root, tenant=None)["data"]["portfolio"]["nodes"] == []
        gone = usina(env, "tenants", "export", "demo", code=4)
        assert gone.stderr.startswith("error: TENANT_UNKNOWN")

        # Back: the same municipality, to the row.
        assert usina(env, "tenants", "import", str(archive)).stdout.startswith("imported demo:")
        again = usina(env, "tenants", "import", str(archive), code=5)
        assert again.stderr.startswith("error: CONFLICT (archive):")
        status, code, message = portal.refusal(PORTAL, admin)
        assert (status, code) == (401, "UNAUTHENTICATED")
        assert "existiera aquí" in message  # in the municipality's language
        time.sleep(1.0)  # tokens of the import's own second are refused too
        fresh = token()
        assert unsigned(portal.ask(PORTAL)) == unsigned(before["portal"])
        assert portal.ask(PORTFOLIO, root, tenant=None)["data"]["portfolio"]["nodes"] == line
        sheet = http.get(  # the consultancy's spreadsheet, as its tools fetch it
            url.removesuffix("/graphql") + "/portfolio.csv",
            headers={"Authorization": f"Bearer {root}", "Accept-Language": "pt"},
        )
        assert sheet.status_code == 200, sheet.text
        rows = sheet.content.decode("utf-8-sig").splitlines()
        assert rows[0].startswith("Município,") and rows[1].split(",")[1] == "demo"
        assert portal.audit(fresh) == before["audit"]
        assert portal.download(fresh, job) == exported  # the export kept
        assert portal.export(fresh, plan["id"])[1] == exported  # and made again
        (link,) = re.findall(r'"(http[^"]+/evidence/[^"]+)"', json.dumps(portal.ask(PORTAL)))
        assert portal.http.get(link).content == PDF  # the evidence file, back in the store
