"""The lock files pin what pyproject.toml allows, and are what gets installed.

``requirements.lock`` is the image's (``pip install .``), ``requirements-dev.lock`` the one
``make run`` and ``make test`` install (``.[dev]``); both are made by ``make lock``
(``.ci/lock``). A dependency added to or bounded in pyproject.toml without ``make lock``, a
version the lock holds that pyproject.toml no longer allows, or a lock that is not installed,
fails here.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO


def pins(lock: Path) -> dict[str, str]:
    out = {}
    for line in lock.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        found = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        assert found, f"{lock.name}: not a pin: {line!r}"
        out[canonicalize_name(found[1])] = found[2]
    return out


PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = RUNTIME + [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]


@pytest.mark.parametrize(
    ("lock", "wanted"), [("requirements.lock", RUNTIME), ("requirements-dev.lock", DEV)]
)
def test_the_lock_pins_every_dependency_within_its_bounds(
    lock: str, wanted: list[Requirement]
) -> None:
    pinned = pins(REPO / lock)
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {requirement}: run make lock"
        )
    assert set(pins(REPO / "requirements.lock")) <= set(pins(REPO / "requirements-dev.lock"))


def test_the_libraries_the_speed_layer_knows_have_an_upper_bound() -> None:
    bounded = {canonicalize_name(r.name): r for r in RUNTIME}
    for name in ("strawberry-graphql", "graphql-core", "sqlalchemy", "asyncpg", "dramatiq"):
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in bounded[name].specifier), (
            name
        )


def test_what_is_installed_is_the_lock() -> None:
    """``make test`` installed the dev lock: the running versions are its versions."""
    for name, version in pins(REPO / "requirements-dev.lock").items():
        assert metadata.version(name) == version, f"{name}: installed is not locked"


def test_the_image_and_the_makefile_install_from_the_locks() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    makefile = (REPO / "Makefile").read_text()
    assert "pip install --quiet -r requirements-dev.lock" in makefile
