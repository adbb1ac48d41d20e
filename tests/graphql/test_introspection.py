"""The standard introspection query, with every option graphql-core offers, answers without an
error (GraphiQL, code generators and schema-driven fuzzers send exactly this), and scalars name
the specification they follow."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_client_schema, get_introspection_query

from tests.factories import World

OPTIONS = {
    "descriptions": True,
    "specified_by_url": True,
    "directive_is_repeatable": True,
    "schema_description": True,
    "input_value_deprecation": True,
}


@pytest.mark.parametrize("tenant", [None, "a"])
async def test_the_standard_introspection_query_has_no_errors(
    client: Any, world: World, tenant: str | None
) -> None:
    headers = {"X-Tenant": world.a.slug} if tenant else {}
    response = await client.post(
        "/graphql", json={"query": get_introspection_query(**OPTIONS)}, headers=headers
    )
    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body, body.get("errors")
    schema = build_client_schema(body["data"])  # the answer is a complete, valid schema
    assert schema.query_type is not None and schema.mutation_type is not None


async def test_date_scalars_carry_their_specification(client: Any) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": '{ d: __type(name: "Date") { specifiedByURL } t: __type(name: "DateTime") { specifiedByURL } }'
        },
    )
    data = response.json()["data"]
    assert data["d"]["specifiedByURL"].endswith("/local-date.html")
    assert data["t"]["specifiedByURL"].endswith("/date-time.html")
