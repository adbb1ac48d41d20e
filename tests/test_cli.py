"""The ``usina`` CLI against a real SQLite file: every command, and errors as exit codes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.identity.tokens import TokenService
from core.settings import Settings
from tenants.database import Database
from tests.conftest import REPO


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("cli")
    return {
        "USINA_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'usina.db'}",
        "PATH": str(Path(sys.executable).parent),
    }


def usina(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "usina", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


@pytest.fixture(scope="module")
def migrated(env: dict[str, str]) -> dict[str, str]:
    assert usina(env, "migrate").returncode == 0
    return env


def test_migrate_is_repeatable(migrated: dict[str, str]) -> None:
    result = usina(migrated, "migrate")
    assert result.returncode == 0
    assert "database migrated" in result.stdout


def test_demo_seed_is_idempotent(migrated: dict[str, str]) -> None:
    first, second = usina(migrated, "demo", "seed"), usina(migrated, "demo", "seed")
    assert first.returncode == second.returncode == 0
    assert "created" in first.stdout or "already there" in first.stdout
    assert "already there" in second.stdout
    listed = usina(migrated, "tenants", "list").stdout.splitlines()
    assert sum(line.startswith("demo\t") for line in listed) == 1


def test_tenants_create_list_suspend_activate(migrated: dict[str, str]) -> None:
    created = usina(
        migrated,
        "tenants",
        "create",
        "--slug",
        "rosario",
        "--name",
        "Rosario",
        "--country",
        "AR",
        "--region",
        "Santa Fe",
        "--population",
        "1300000",
        "--timezone",
        "America/Argentina/Cordoba",
    )
    assert created.returncode == 0, created.stderr
    assert "rosario\tactive\tAR\tRosario" in usina(migrated, "tenants", "list").stdout
    assert usina(migrated, "tenants", "suspend", "rosario").stdout.strip() == "rosario is suspended"
    assert "rosario\tsuspended" in usina(migrated, "tenants", "list").stdout
    assert usina(migrated, "tenants", "activate", "rosario").returncode == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["tenants", "create", "--slug", "Bad Slug", "--name", "x", "--country", "AR"],
            2,
            "BAD_USER_INPUT (slug)",
        ),
        (
            ["tenants", "create", "--slug", "ok", "--name", "x", "--country", "ARG"],
            2,
            "BAD_USER_INPUT (country)",
        ),
        (
            [
                "tenants",
                "create",
                "--slug",
                "ok",
                "--name",
                "x",
                "--country",
                "AR",
                "--timezone",
                "Mars/Base",
            ],
            2,
            "BAD_USER_INPUT (timezone)",
        ),
        (["tenants", "suspend", "nowhere"], 4, "NOT_FOUND"),
        (
            ["tokens", "issue", "--tenant", "nowhere", "--role", "editor", "--subject", "x"],
            4,
            "NOT_FOUND",
        ),
        (["tokens", "issue", "--role", "editor", "--subject", "x"], 2, "BAD_USER_INPUT (tenant)"),
    ],
)
def test_errors_are_a_message_and_an_exit_code(
    migrated: dict[str, str], args: list[str], code: int, message: str
) -> None:
    result = usina(migrated, *args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_slug_is_a_conflict(migrated: dict[str, str]) -> None:
    args = ["tenants", "create", "--slug", "twice", "--name", "x", "--country", "AR"]
    assert usina(migrated, *args).returncode == 0
    result = usina(migrated, *args)
    assert (result.returncode, "CONFLICT (slug)" in result.stderr) == (5, True)


def test_tokens_issue_prints_a_token_the_api_accepts(migrated: dict[str, str]) -> None:
    usina(migrated, "demo", "seed")
    result = usina(
        migrated, "tokens", "issue", "--tenant", "demo", "--role", "editor", "--subject", "ana"
    )
    assert result.returncode == 0, result.stderr
    principal = asyncio.run(_verify(migrated, result.stdout.strip()))
    assert (principal.subject, principal.role.value, principal.tenant) == ("ana", "editor", "demo")


def test_tokens_issue_vouches_for_an_email_and_a_name(migrated: dict[str, str]) -> None:
    usina(migrated, "demo", "seed")
    issue = ("tokens", "issue", "--tenant", "demo", "--role", "participant", "--subject", "sol")
    result = usina(migrated, *issue, "--email", "sol@demo.example", "--name", "Sol Ruiz")
    assert result.returncode == 0, result.stderr
    principal = asyncio.run(_verify(migrated, result.stdout.strip()))
    assert (principal.email, principal.claims["name"]) == ("sol@demo.example", "Sol Ruiz")
    refused = usina(migrated, *issue, "--email", "no-address")
    assert (refused.returncode, "BAD_USER_INPUT (email)" in refused.stderr) == (2, True)


async def _verify(env: dict[str, str], token: str) -> Any:
    """Verify as the API would: with the keys in the database the CLI signed with."""
    db = Database.from_url(env["USINA_DATABASE_URL"])
    try:
        service = TokenService(Settings().issuer, Settings().audience)
        async with db.session(None) as session:
            await service.refresh(session)
        return service.verify(token)
    finally:
        await db.dispose()


def test_keys_rotate_keeps_old_tokens_valid_and_signs_with_the_new_key(
    migrated: dict[str, str],
) -> None:
    usina(migrated, "demo", "seed")
    issue = ("tokens", "issue", "--tenant", "demo", "--role", "editor", "--subject", "ana")
    before = usina(migrated, *issue).stdout.strip()
    rotated = usina(migrated, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    after = usina(migrated, *issue).stdout.strip()
    kid = lambda token: json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]  # noqa: E731
    assert kid(before) != kid(after)
    assert kid(after) in rotated.stdout
    assert asyncio.run(_verify(migrated, before)).subject == "ana"
    assert asyncio.run(_verify(migrated, after)).subject == "ana"
    listed = usina(migrated, "keys", "list").stdout.splitlines()
    retired = {line.split("\t")[0]: line.split("\t")[2] for line in listed}
    assert retired[kid(before)] != "" and retired[kid(after)] == ""


def test_schema_export_check_passes_on_the_committed_snapshot(env: dict[str, str]) -> None:
    result = usina(env, "schema", "export", "--check")
    assert result.returncode == 0, result.stderr


def test_periodic_jobs_run_at_once_on_the_embedded_default(
    migrated: dict[str, str], tmp_path: Path
) -> None:
    """No worker runs outside the web process on the embedded default, so the command runs
    the day's monitoring itself: when it returns, the jobs are done and the e-mails sent."""
    from aiosmtpd.controller import Controller

    from tests.identity.oidc import free_port
    from tests.workers.conftest import Mailbox

    usina(migrated, "demo", "seed")
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = usina(
            migrated | {"USINA_SMTP_PORT": str(port)}, "jobs", "enqueue-periodic", "--wait", "60"
        )
    finally:
        controller.stop()
    assert result.returncode == 0, result.stderr
    assert "run here" in result.stdout, result.stdout
    statuses = asyncio.run(_job_statuses(migrated))
    # Every job is done, the seed's own (left queued by a command with no worker) included.
    assert statuses["monitoring.delays"] == statuses["monitoring.digest"] == {"SUCCEEDED"}
    assert set().union(*statuses.values()) == {"SUCCEEDED"}, statuses


async def _job_statuses(env: dict[str, str]) -> dict[str, set[str]]:
    from sqlalchemy import text

    db = Database.from_url(env["USINA_DATABASE_URL"])
    try:
        async with db.engine.connect() as connection:
            rows = await connection.execute(text("SELECT kind, status FROM jobs"))
            out: dict[str, set[str]] = {}
            for kind, status in rows:
                out.setdefault(kind, set()).add(status)
            return out
    finally:
        await db.dispose()


def test_tenants_update_edits_a_municipality_and_refuses_bad_values(
    migrated: dict[str, str],
) -> None:
    assert usina(migrated, "tenants", "create", "--slug", "rio-claro", "--name", "Río Claro",
                 "--country", "AR").returncode == 0  # fmt: skip
    updated = usina(
        migrated, "tenants", "update", "rio-claro", "--name", "Municipio de Río Claro",
        "--locale", "pt", "--timezone", "America/Sao_Paulo", "--website", "https://rioclaro.example",
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert (
        updated.stdout.strip() == "updated rio-claro: Municipio de Río Claro, pt, America/Sao_Paulo"
    )
    assert (
        "rio-claro\tactive\tAR\tMunicipio de Río Claro" in usina(migrated, "tenants", "list").stdout
    )
    refused = usina(migrated, "tenants", "update", "rio-claro", "--timezone", "Mars/Olympus")
    assert refused.returncode == 2
    assert "BAD_USER_INPUT (timezone)" in refused.stderr
    unknown = usina(migrated, "tenants", "update", "no-such-town", "--name", "X")
    assert unknown.returncode == 4 and "NOT_FOUND" in unknown.stderr


def test_tenants_update_sets_the_branding(migrated: dict[str, str], tmp_path: Path) -> None:
    from tests.graphql.test_branding import png

    assert usina(migrated, "tenants", "create", "--slug", "villa", "--name", "Villa",
                 "--country", "AR").returncode == 0  # fmt: skip
    logo = tmp_path / "escudo.png"
    logo.write_bytes(png())
    branded = usina(
        migrated, "tenants", "update", "villa", "--primary-color", "#0B5394", "--logo", str(logo)
    )
    assert branded.returncode == 0, branded.stderr
    digest = hashlib.sha256(png()).hexdigest()
    assert branded.stdout.strip().endswith(f"; colour #0b5394, logo {digest[:12]}")
    illegible = usina(migrated, "tenants", "update", "villa", "--primary-color", "#ffff00")
    assert illegible.returncode == 2
    assert "BAD_USER_INPUT (primaryColor)" in illegible.stderr
    both = usina(migrated, "tenants", "update", "villa", "--logo", str(logo), "--remove-logo")
    assert both.returncode == 2 and "not both" in both.stderr
    removed = usina(migrated, "tenants", "update", "villa", "--remove-logo")
    assert removed.returncode == 0 and "logo" not in removed.stdout
