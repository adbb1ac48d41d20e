"""The ``usina`` CLI against a real SQLite file: every command, and errors as exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.identity.tokens import TokenService
from core.settings import Settings
from tests.conftest import REPO


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("cli")
    return {
        "USINA_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'usina.db'}",
        "USINA_DATA_DIR": str(home / "data"),
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
    settings = Settings(data_dir=Path(migrated["USINA_DATA_DIR"]))
    principal = TokenService.from_settings(settings).verify(result.stdout.strip())
    assert (principal.subject, principal.role.value, principal.tenant) == ("ana", "editor", "demo")


def test_schema_export_check_passes_on_the_committed_snapshot(env: dict[str, str]) -> None:
    result = usina(env, "schema", "export", "--check")
    assert result.returncode == 0, result.stderr
