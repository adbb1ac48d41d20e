"""Errors speak the caller's language, or their municipality's when the caller does not say;
and a Spanish sentence carries no English (record names, parents, token reasons, pydantic's
messages, enum codes)."""

from __future__ import annotations

from typing import Any

import httpx

from core.enums import Locale
from core.identity.tokens import TokenService
from graphql_schema.relay import to_global_id
from tenants.database import Database
from tests.factories import World, gql, new_municipality

MISSING = "query($id: ID!) { node(id: $id) { id } }"
RESPOND = (
    "mutation($id: ID!) { respondToContribution(input: {id: $id, outcome: DECLINED, "
    'response: "x"}) { contribution { id } } }'
)


async def message(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any], **kwargs: Any
) -> Any:
    result = await gql(client, document, variables, **kwargs)
    assert result["errors"], result
    return result["errors"][0]


async def test_no_accept_language_means_the_municipalitys_language(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    ghost = to_global_id("Contribution", world.a.municipality.id)
    error = await message(client, RESPOND, {"id": ghost}, token=editor)  # a is Spanish
    assert error["message"] == "No existe esa contribución."
    assert error["extensions"]["message"] == {
        "en": "No such contribution.",
        "es": "No existe esa contribución.",
        "pt": "Não existe essa contribuição.",
    }
    asked = await message(
        client, RESPOND, {"id": ghost}, token=editor, headers={"Accept-Language": "en-GB"}
    )
    assert asked["message"] == "No such contribution."


async def test_spanish_sentences_hold_no_english(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    milestone = await message(
        client,
        'mutation($c: ID!) { createMilestone(input: {commitmentId: $c, title: "h", '
        'startDate: "1990-01-01", endDate: "1990-02-01"}) { milestone { id } } }',
        {"c": a.gid("Commitment")},
        token=editor,
    )
    assert milestone["message"].startswith("Las fechas deben estar dentro de las del compromiso")
    token = await message(client, "{ viewer { subject } }", {}, token="x.y.z", tenant=a.slug)
    assert token["message"] == "Token de acceso inválido: está mal formado."
    assert token["extensions"]["reason"] == "malformed"
    rule = await message(
        client,
        'mutation($p: ID!) { openChannel(input: {actionPlanId: $p, kind: "consultation", '
        'title: "c", opensAt: "2026-01-01T00:00:00Z", closesAt: "2027-01-01T00:00:00Z", '
        'rules: {premoderated: "quizás"}}) { channel { id } } }',
        {"p": a.gid("ActionPlan")},
        token=editor,
    )
    assert rule["message"] == "Valor inválido para 'premoderated': se espera verdadero o falso."
    assert "Input should be" in rule["extensions"]["reason"]
    closed = await message(
        client,
        "mutation($id: ID!) { transitionActionPlan(input: {id: $id, to: DRAFT}) "
        "{ actionPlan { id } } }",
        {"id": a.gid("ActionPlan")},
        token=editor,
    )
    assert closed["message"] == (
        "Un plan en estado 'publicado' no puede pasar a 'borrador' "
        "(permitidos: en implementación, archivado)."
    )
    assert closed["extensions"]["allowed"] == ["IMPLEMENTATION", "ARCHIVED"]
    for error in (milestone, token, rule, closed):
        for code in ("PUBLISHED", "DRAFT", "commitment", "action plan", "Input should"):
            assert code not in error["message"], error


async def test_graphql_validation_and_variable_errors_speak_spanish_too(
    client: httpx.AsyncClient, world: World
) -> None:
    a = world.a
    cases = {
        "{ municipality { nombre } }": (
            "No se puede consultar el campo 'nombre' en el tipo 'Municipality'. "
            "¿Quiso decir 'name'?"
        ),
        "query($id: ID!) { node(id: $id) { id } }": (
            "Falta la variable '$id', de tipo obligatorio 'ID!'."
        ),
        "{ municipality ": "Error de sintaxis en el documento GraphQL.",
        "{ actionPlans(nope: 1) { totalCount } }": (
            "El campo 'Query.actionPlans' no tiene el argumento 'nope'."
        ),
    }
    for document, spanish in cases.items():
        result = await gql(client, document, {}, tenant=a.slug)  # a speaks Spanish
        error = result["errors"][0]
        assert error["message"] == spanish, error
        assert error["extensions"]["message"]["es"] == spanish
        assert error["extensions"]["message"]["en"].split(" ")[0] in (
            "Cannot",
            "Variable",
            "Syntax",
            "Unknown",
        )
        english = await gql(client, document, {}, tenant=a.slug, headers={"Accept-Language": "en"})
        assert english["errors"][0]["message"] == error["extensions"]["message"]["en"]


async def test_a_portuguese_speaking_municipality_is_answered_in_portuguese(
    client: httpx.AsyncClient, db: Database, tokens: TokenService
) -> None:
    """Brazil's municipalities: with no Accept-Language their errors, GraphQL's own included,
    are in Portuguese; a caller who asks for Spanish gets Spanish."""
    town = await new_municipality(db, "br", locale=Locale.PT)
    editor = tokens.issue(subject="ed", role="editor", tenant=town.slug)
    ghost = to_global_id("Contribution", town.id)
    error = await message(client, RESPOND, {"id": ghost}, token=editor)
    assert error["message"] == "Não existe essa contribuição."
    cases = {
        "{ municipality { nome } }": (
            "Não é possível consultar o campo 'nome' no tipo 'Municipality'. "
            "Você quis dizer 'name'?"
        ),
        "query($id: ID!) { node(id: $id) { id } }": (
            "Falta a variável '$id', de tipo obrigatório 'ID!'."
        ),
        "{ municipality ": "Erro de sintaxe no documento GraphQL.",
    }
    for document, portuguese in cases.items():
        result = await gql(client, document, {}, tenant=town.slug)
        assert result["errors"][0]["message"] == portuguese, result
        assert result["errors"][0]["extensions"]["message"]["pt"] == portuguese
    spanish = await message(
        client, RESPOND, {"id": ghost}, token=editor, headers={"Accept-Language": "es"}
    )
    assert spanish["message"] == "No existe esa contribución."
