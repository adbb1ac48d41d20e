"""Errors speak the caller's language, or their municipality's when the caller does not say;
and a Spanish sentence carries no English (record names, parents, token reasons, pydantic's
messages, enum codes)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

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
    assert rule["message"] == (
        "Valor inválido para 'premoderated': se espera verdadero o falso, no 'quizás'."
    )
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
        "{ municipality ": "Error de sintaxis: se esperaba Name y se encontró <EOF>.",
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
        "{ municipality ": "Erro de sintaxe: esperava-se Name e foi encontrado <EOF>.",
    }
    for document, portuguese in cases.items():
        result = await gql(client, document, {}, tenant=town.slug)
        assert result["errors"][0]["message"] == portuguese, result
        assert result["errors"][0]["extensions"]["message"]["pt"] == portuguese
    spanish = await message(
        client, RESPOND, {"id": ghost}, token=editor, headers={"Accept-Language": "es"}
    )
    assert spanish["message"] == "No existe esa contribución."


#: What a message says that must survive translation: quoted names and values, numbers
#: (compared without their separators: 524,288 and 524.288, 22.5 and 22,5 are one figure),
#: variables and grammar tokens (<EOF>).
VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»|\$\w+|<\w+>|\d[\d.,]*\d|\d")


def values(text: str) -> list[str]:
    found = []
    for value in VALUES.findall(text):
        if value[0].isdigit():
            value = value.replace(",", "").replace(".", "")
        elif value[0] in '"«':
            value = "'" + value[1:-1] + "'"
        found.append(value)
    return sorted(found)


PLAN = (
    "mutation($in: CreateActionPlanInput!) { createActionPlan(input: $in) { actionPlan { id } } }"
)
CONFIGURE = (
    'mutation($s: JSON) { configurePlugin(input: {plugin: "ogp_irm", enabled: true, '
    "settings: $s}) { plugin { name } } }"
)
ERROR_CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    "a day-first date in a variable": (
        PLAN,
        {"in": {"title": "P", "startDate": "31/12/2026", "endDate": "2027-01-01"}},
        "editor",
    ),
    "a day-first date in the document": (
        'mutation { createActionPlan(input: {title: "P", startDate: "31/12/2026", '
        'endDate: "2027-01-01"}) { actionPlan { id } } }',
        {},
        "editor",
    ),
    "an integer too large": (
        "query($n: Int) { actionPlans(first: $n) { totalCount } }",
        {"n": 3_000_000_000},
        "anonymous",
    ),
    "a decimal where an integer goes": (
        "query($n: Int) { actionPlans(first: $n) { totalCount } }",
        {"n": 1.5},
        "anonymous",
    ),
    "an unknown enum value": (
        "query($s: [ActionPlanStatus!]) { actionPlans(status: $s) { totalCount } }",
        {"s": ["BORRADOR"]},
        "anonymous",
    ),
    "a required input field left out": (
        'mutation { createActionPlan(input: {title: "P", endDate: "2027-01-01"}) '
        "{ actionPlan { id } } }",
        {},
        "editor",
    ),
    "a syntax error": ("{ municipality { name }", {}, "anonymous"),
    "a document too deep": (
        "{ actionPlans { nodes { commitments { nodes { milestones { nodes { commitment { "
        "actionPlan { commitments { nodes { milestones { nodes { commitment { actionPlan { "
        "id } } } } } } } } } } } } } } }",
        {},
        "anonymous",
    ),
    "an unexpected token": ("{ municipality { name } } }", {}, "anonymous"),
    "a setting below its minimum": (CONFIGURE, {"s": {"min_consultation_days": 0}}, "consultant"),
    "a setting above its maximum": (
        CONFIGURE,
        {"s": {"forum_meetings_per_year": 400}},
        "consultant",
    ),
    "a setting of the wrong type": (
        CONFIGURE,
        {"s": {"forum_meetings_per_year": "dos"}},
        "consultant",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
async def test_an_error_says_the_same_in_three_languages(
    client: httpx.AsyncClient, world: World, tokens: TokenService, case: str
) -> None:
    """The i18n rule for errors: the Spanish and Portuguese sentences carry every name, value
    and number the English one does (and not just "the document is not valid")."""
    document, variables, role = ERROR_CASES[case]
    a = world.a
    token = None
    if role == "editor":
        token = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    elif role == "consultant":
        token = tokens.issue(subject="root", role="platform_admin", tenant=None)
    error = await message(client, document, variables, tenant=a.slug, token=token)
    texts = error["extensions"]["message"]
    assert values(texts["en"]), texts  # the case says something to carry
    assert values(texts["es"]) == values(texts["en"]), texts
    assert values(texts["pt"]) == values(texts["en"]), texts
    for locale in ("es", "pt"):
        assert texts[locale] != texts["en"], texts
