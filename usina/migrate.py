"""Running Alembic migrations from code (the CLI's ``usina migrate`` and the tests).

The migration environment is a composition root: it sees the tables of every package.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from core.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["app_role"] = app_role
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the database as its owner. Must not run inside an event loop (Alembic's env
    starts its own)."""
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.owner_database_url)
    command.upgrade(alembic_config(settings.owner_database_url, settings.db_app_role), revision)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def revisions() -> list[str]:
    """Every schema revision Usina knows, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
