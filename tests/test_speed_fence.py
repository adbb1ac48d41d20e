"""The speed layer's fence: outside the files that beat a library's generic path on purpose,
no code imports a library's private module or name, nor reads a private attribute that is not
our own. A private name of graphql-core, strawberry, SQLAlchemy, asyncpg or dramatiq used
anywhere else fails here (the next release of the library could break it silently).

The fence is a list of files today (``SPEED``); issue 34 moves them into one package. The
attributes checked are the ones our code never defines: an attribute named ``_x`` that no
function, class, assignment or argument of ours names.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

LIBRARIES = ("graphql", "strawberry", "sqlalchemy", "asyncpg", "dramatiq")
SOURCES = ("core", "tenants", "plugins", "graphql_schema", "workers", "usina")
#: The speed layer (``tenants/speed.py`` switches it off with ``USINA_ENGINE=stock``).
SPEED = {
    "graphql_schema/execution.py",  # graphql-core's executor, fast path
    "graphql_schema/loaders.py",  # look-ahead batching
    "graphql_schema/prefetch.py",
    "graphql_schema/connections.py",
    "tenants/compiled_reads.py",  # statements compiled for asyncpg
    "tenants/isolation.py",  # BEGIN with the municipality's settings in one round trip
    "workers/loop_worker.py",  # dramatiq's consumer on one event loop
}
#: Documented public APIs whose names start with an underscore (SQLAlchemy's ``Row._mapping``,
#: namedtuples' ``_replace``/``_asdict``/``_fields``).
PUBLIC = {"_mapping", "_replace", "_asdict", "_fields"}
#: Where strawberry offers no public door yet: the graphql-core schema behind a strawberry
#: schema, and an ``Info`` for another context (built with its own field names).
NO_PUBLIC_DOOR = {
    "graphql_schema/schema.py": {"_schema"},
    "graphql_schema/limits.py": {"_schema"},
    "graphql_schema/municipalities/types.py": {"_raw_info", "_field"},
}


def _trees() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(REPO)): ast.parse(path.read_text())
        for package in SOURCES
        for path in (REPO / package).rglob("*.py")
    }


def _our_private_names(trees: dict[str, ast.Module]) -> set[str]:
    """Private names our code defines: outside the speed layer, which writes the libraries'."""
    ours = set()
    for path, tree in trees.items():
        if path in SPEED:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                ours.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                ours.add(node.id)
            elif isinstance(node, ast.arg) or (isinstance(node, ast.keyword) and node.arg):
                ours.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                ours.add(node.value)  # labels of our own columns ("_rank", "_total")
    return {name for name in ours if name.startswith("_")}


def test_no_code_outside_the_speed_layer_uses_a_librarys_private_names() -> None:
    trees = _trees()
    ours = _our_private_names(trees)
    found: dict[str, set[str]] = {}
    for path, tree in trees.items():
        if path in SPEED:
            continue
        allowed = PUBLIC | NO_PUBLIC_DOOR.get(path, set())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
                names = [p for p in (node.module or "").split(".") if p.startswith("_")]
                names += [a.name for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Import):
                names = [
                    part
                    for alias in node.names
                    if alias.name.split(".")[0] in LIBRARIES
                    for part in alias.name.split(".")
                    if part.startswith("_")
                ]
            elif isinstance(node, ast.Attribute):
                attribute = node.attr
                if attribute.startswith("_") and not attribute.startswith("__"):
                    names = [attribute] if attribute not in ours else []
            for name in names:
                if name not in allowed:
                    found.setdefault(path, set()).add(name)
    assert found == {}, found


def test_the_fenced_files_exist() -> None:
    for path in SPEED | set(NO_PUBLIC_DOOR):
        assert (REPO / path).is_file(), path
    assert Path(REPO / "tenants" / "speed.py").is_file()
