"""Schema-driven fuzzing of the live API: schemathesis (GraphQL mode) generates operations for
every root query and mutation from the committed SDL, with values for the custom scalars
(``JSON``, ``Date``, ``DateTime``, ``Base64``) and IDs that point at real objects of the demo municipality,
and sends them to a live ``usina serve`` as five kinds of caller. Every ``String``, ``ID`` and
``JSON`` value may be hostile: NUL bytes, lone surrogates, a right-to-left override, formulas,
markup, line breaks, 10,000 characters. No answer may be an HTTP 5xx, and every error must
carry one of the documented codes (``docs/api.md``), never ``INTERNAL_SERVER_ERROR``.

Bounded for CI: a few derandomized examples per operation and caller (``USINA_FUZZ_EXAMPLES``
raises it for a longer run by hand).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import graphql
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from core.errors import UsinaError
from tests.conftest import (
    APP_ROLE,
    OWNER_ROLE,
    REPO,
    _create_database,
    _drop_database,
    _in_thread,
    pg_url,
)
from tests.graphql.conftest import seeded, serving

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("USINA_FUZZ_EXAMPLES", "2"))


#: Every code a client may meet: the error hierarchy's and GraphQL's own (``docs/api.md``).
def _codes(cls: type[UsinaError]) -> set[str]:
    return {str(cls.code)} | {code for sub in cls.__subclasses__() for code in _codes(sub)}


#: INTERNAL_SERVER_ERROR is documented too, as a bug: it is what this test looks for.
DOCUMENTED = (_codes(UsinaError) - {"INTERNAL_SERVER_ERROR"}) | {
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "BAD_USER_INPUT",
    "QUERY_TOO_COMPLEX",
}
ROLES = ("anonymous", "participant", "editor", "tenant_admin", "platform_admin")

IDS = """{
  actionPlans(first: 5) { nodes { id channels { id contributions(first: 5) { nodes { id } } }
    commitments(first: 5) { nodes { id milestones(first: 5) { nodes { id reports(first: 2) { nodes { id } } } } } } } }
  actors(first: 5) { nodes { id } }
  assessments(first: 5) { nodes { id } }
  jobs(first: 5) { nodes { id } }
}"""


def _ids(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                yield item
            else:
                yield from _ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A seeded demo on SQLite, or on a PostgreSQL database of its own served as the
    restricted role (PostgreSQL refuses what SQLite stores: a NUL byte in text)."""
    home = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        yield seeded(home)
        return
    request.getfixturevalue("postgres_urls")  # the roles exist
    name = f"usina_fuzz_{os.getpid()}"
    _in_thread(_create_database, name)
    try:
        yield seeded(
            home,
            {
                "USINA_DATABASE_URL": pg_url(APP_ROLE, name),
                "USINA_MIGRATION_DATABASE_URL": pg_url(OWNER_ROLE, name),
                "USINA_DB_APP_ROLE": APP_ROLE,
            },
        )
    finally:
        _in_thread(_drop_database, name)


@pytest.fixture(scope="module")
def fuzzed(fuzz_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """A live server on a seeded demo, a token per role, and the demo's real IDs."""
    env = fuzz_env

    def token(role: str) -> str | None:
        if role == "anonymous":
            return None
        tenant = [] if role == "platform_admin" else ["--tenant", "demo"]
        issued = subprocess.run(
            [sys.executable, "-m", "usina", "tokens", "issue", "--role", role,
             "--subject", f"fuzz-{role}", *tenant],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        return issued.stdout.strip()

    tokens = {role: token(role) for role in ROLES}
    with serving(env) as url:
        found = httpx.post(
            url,
            json={"query": IDS},
            headers={"Authorization": f"Bearer {tokens['tenant_admin']}"},
            timeout=30,
        ).json()
        assert "errors" not in found, found
        ids = sorted(set(_ids(found["data"])))
        assert len(ids) > 10
        yield {"url": url, "tokens": tokens, "ids": ids}


#: Strings a hostile caller sends (issue 32): NUL bytes, lone surrogates (legal JSON escapes
#: that no encoder can write), a right-to-left override, a formula, markup, and long text.
HOSTILE = st.sampled_from(
    [
        "\x00",
        "t\x00t",
        "\ud800",
        "x\udfff y",
        "\u202eevil.exe",
        '=HYPERLINK("http://example.invalid","x")',
        "<script>alert(1)</script>",
        "Línea\r\nBcc: x@example.org",
        "A" * 10_000,
    ]
)
#: Hostile first: a derandomized run draws from the first branch most (its simplest values).
TEXT = HOSTILE | st.text(max_size=8)


def _register_scalars(ids: list[str]) -> None:
    schemathesis.graphql.scalar("String", TEXT.map(nodes.String))
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers(-10, 10) | TEXT,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(HOSTILE | st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=6,
    )
    schemathesis.graphql.scalar("JSON", json_values.map(_json_node))
    schemathesis.graphql.scalar("Date", st.dates().map(lambda d: nodes.String(d.isoformat())))
    schemathesis.graphql.scalar(
        "DateTime", st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z"))
    )
    # Mostly real objects, sometimes anything: a lookup must refuse a stranger's ID by code.
    schemathesis.graphql.scalar(
        "ID", (st.sampled_from(ids) | HOSTILE | st.text(max_size=12)).map(nodes.String)
    )
    schemathesis.graphql.scalar("Upload", st.just(nodes.Null))
    schemathesis.graphql.scalar(
        "Base64", st.binary(max_size=40).map(lambda b: nodes.String(base64.b64encode(b).decode()))
    )


def _json_node(value: Any) -> Any:
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=_name(k)), value=_json_node(v))
            for k, v in value.items()
        ]
    )


def _name(key: str) -> str:
    """A JSON object's key as a GraphQL name (letters, digits and underscores)."""
    return "k" + "".join(c if c.isalnum() and c.isascii() else "_" for c in key)


def _refusals(response: httpx.Response) -> list[str]:
    """What is wrong with an answer: a 5xx, or an error without a documented code."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:300]}"]
    try:
        body = response.json()
    except ValueError:
        return [f"not JSON (HTTP {response.status_code}): {response.text[:300]}"]
    wrong = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in DOCUMENTED:
            wrong.append(f"{code}: {error.get('message')}")
    return wrong


def _examples(operation: Any) -> list[str]:
    """``EXAMPLES`` generated documents of one operation (the same ones on every run)."""
    bodies: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def draw(case: Any) -> None:
        bodies.append(case.body)

    draw()
    return bodies


@pytest.mark.parametrize("role", ROLES)
def test_no_generated_operation_gets_a_5xx_or_an_undocumented_error(
    fuzzed: dict[str, Any], role: str
) -> None:
    _register_scalars(fuzzed["ids"])
    schema = schemathesis.graphql.from_path(str(REPO / "graphql_schema" / "schema.graphql"))
    headers = {"X-Tenant": "demo"}
    if fuzzed["tokens"][role]:
        headers["Authorization"] = f"Bearer {fuzzed['tokens'][role]}"
    problems: list[str] = []
    sent = 0
    with httpx.Client(timeout=30) as http:
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 60  # every root query and mutation

        for operation in operations:
            for document in _examples(operation):
                # ASCII JSON: a lone surrogate travels as its escape, as a hostile client sends it.
                body = json.dumps({"query": document}).encode()
                response = http.post(
                    fuzzed["url"],
                    content=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                sent += 1
                problems.extend(
                    f"{operation.label}: {p}\n  {document[:400]}" for p in _refusals(response)
                )
    assert sent >= len(operations)
    print(f"fuzz as {role}: {sent} requests, {len(problems)} problems")  # shown with -s
    assert problems == [], "\n".join(problems[:20])


def test_the_check_itself_catches_an_undocumented_code() -> None:
    bad = httpx.Response(200, json={"errors": [{"message": "x", "extensions": {"code": "OOPS"}}]})
    fine = httpx.Response(200, json={"errors": [{"extensions": {"code": "NOT_FOUND"}}]})
    assert _refusals(bad) == ["OOPS: x"]
    assert _refusals(fine) == []
    assert _refusals(httpx.Response(502, text="bad gateway"))[0].startswith("HTTP 502")
