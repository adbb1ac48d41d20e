"""Expensive documents are refused before they cost anything: their size before parsing, their
expansion (fields, aliases, width) before validation, in time linear in the document."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import parse

from graphql_schema.limits import expansion
from tests.factories import World, error_codes, gql

BOMB = (
    "query{...F0} "
    + " ".join(
        f"fragment F{i} on Query{{a:__typename ...F{i + 1} b:__typename ...F{i + 1}}}"
        for i in range(20)
    )
    + " fragment F20 on Query{__typename}"
)

# name: (document, the limit that refuses it)
EXPENSIVE: dict[str, tuple[str, str]] = {
    "a fragment bomb of 1.4 KB": (BOMB, "fields"),
    "a fragment bomb without aliases": (
        "query{...F0} "
        + " ".join(f"fragment F{i} on Query{{...F{i + 1} ...F{i + 1}}}" for i in range(20))
        + " fragment F20 on Query{__typename}",
        "fields",
    ),
    "100 conflicting fields of one name": (
        "{" + " ".join(f'node(id:"{i}"){{id}}' for i in range(100)) + "}",
        "width",
    ),
    "one field repeated through fragments": (
        "query{...A ...A ...A} fragment A on Query{" + " municipality{name}" * 8 + "}",
        "width",
    ),
    "aliases hidden in fragments": (
        "query{...A ...A} fragment A on Query{"
        + " ".join(f"a{i}:__typename" for i in range(20))
        + "}",
        "aliases",
    ),
    "a document of 100,000 characters": ("{__typename}" + " " * 100_000, "chars"),
}


@pytest.mark.parametrize("case", list(EXPENSIVE))
async def test_an_expensive_document_is_refused_before_validation(
    client: Any, world: World, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    document, limit = EXPENSIVE[case]
    validated: list[Any] = []
    real = strawberry_schema.validate_document
    monkeypatch.setattr(
        strawberry_schema, "validate_document", lambda *a: validated.append(a) or real(*a)
    )
    result = await gql(client, document, tenant=world.a.slug)
    assert error_codes(result) == ["QUERY_TOO_COMPLEX"], result
    assert result["errors"][0]["extensions"]["limit"] == limit
    assert validated == []


def test_the_expansion_is_measured_without_expanding() -> None:
    """20 levels of doubling weigh 2^21 fields, counted in 20 additions (no 2^20 walk)."""
    weight = expansion(parse(BOMB))
    assert weight.fields == 2**21 + 2**20 - 2
    assert weight.aliases == 2**21 - 2


async def test_ordinary_documents_pass_the_document_limits(client: Any, world: World) -> None:
    from graphql import get_introspection_query

    from graphql_schema.view import PORTAL_QUERY

    for document in (PORTAL_QUERY, get_introspection_query()):
        weight = expansion(parse(document))
        assert weight.fields < 300 and weight.width <= 2, weight
    result = await gql(client, get_introspection_query(), tenant=world.a.slug)
    assert "errors" not in result, result


@pytest.mark.parametrize("language", ["en", "es", "pt"])
async def test_a_limits_refusal_says_its_numbers_in_every_language(
    client: Any, world: World, language: str
) -> None:
    """Issue 33: Spanish and Portuguese said only "too large"; every language now names the
    limit's value and maximum, as English does."""
    for document, numbers in (
        (EXPENSIVE["100 conflicting fields of one name"][0], ("100", "20")),
        (BOMB, ("3145726", "1000")),
    ):
        result = await gql(
            client, document, tenant=world.a.slug, headers={"Accept-Language": language}
        )
        error = result["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        texts = error["extensions"]["message"]
        assert error["message"] == texts[language]
        for number in numbers:
            assert all(number in texts[lang] for lang in ("en", "es", "pt")), texts
