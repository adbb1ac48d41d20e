"""A plugin installed only through an entry point adds an instrument, a GraphQL field and a
setting, enabled for one municipality and disabled for another, without touching Usina."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from core.identity.tokens import TokenService
from tests.factories import START, World, error_codes, gql
from tests.fixture_plugin import usina_fixture

CONFIGURE = "mutation($in: ConfigurePluginInput!) { configurePlugin(input: $in) { plugin { name enabled settings settingsVersion } } }"
GREETING = "{ fixtureGreeting }"


def admin(tokens: TokenService) -> str:
    return tokens.issue(subject="root", role="platform_admin", tenant=None)


async def enable_for_a(
    client: Any, world: World, tokens: TokenService, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = await gql(
        client,
        CONFIGURE,
        {"in": {"plugin": "fixture_plugin", "enabled": True, "settings": settings}},
        token=admin(tokens),
        tenant=world.a.slug,
    )
    assert "errors" not in result, result
    return result["data"]["configurePlugin"]["plugin"]


def test_the_plugin_is_installed_through_the_entry_point_group(app: Any) -> None:
    names = {ep.name: ep.value for ep in entry_points(group="usina.plugins")}
    assert names["fixture_plugin"] == "tests.fixture_plugin.usina_fixture"
    assert "fixture_plugin" in app.state.plugins.infos


async def test_enabled_for_one_municipality_and_disabled_for_another(
    client: Any, world: World, tokens: TokenService
) -> None:
    plugin = await enable_for_a(client, world, tokens, {"greeting": "Buenas"})
    assert plugin == {
        "name": "fixture_plugin",
        "enabled": True,
        "settings": {"greeting": "Buenas", "max_items": 3},
        "settingsVersion": 1,
    }

    in_a = await gql(client, GREETING, tenant=world.a.slug)
    assert in_a["data"] == {"fixtureGreeting": f"Buenas, {world.a.municipality.name}"}
    in_b = await gql(client, GREETING, tenant=world.b.slug)
    assert in_b["data"] is None and error_codes(in_b) == ["PLUGIN_DISABLED"]
    assert in_b["errors"][0]["extensions"]["plugin"] == "fixture_plugin"

    listed = "{ plugins { name enabled } instruments { name } }"
    a, b = (
        await gql(client, listed, tenant=world.a.slug),
        await gql(client, listed, tenant=world.b.slug),
    )
    assert {"name": "fixture_plugin", "enabled": True} in a["data"]["plugins"]
    assert {"name": "fixture_plugin", "enabled": False} in b["data"]["plugins"]
    assert "fixture_checklist" in {i["name"] for i in a["data"]["instruments"]}
    assert "fixture_checklist" not in {i["name"] for i in b["data"]["instruments"]}


async def test_its_instrument_works_only_where_enabled(
    client: Any, world: World, tokens: TokenService
) -> None:
    await enable_for_a(client, world, tokens)
    start = 'mutation($d: Date!) { startAssessment(input: {instrument: "fixture_checklist", title: "t", assessedOn: $d}) { assessment { id } } }'
    in_b = await gql(
        client,
        start,
        {"d": str(START)},
        token=tokens.issue(subject="e", role="editor", tenant=world.b.slug),
    )
    assert error_codes(in_b) == ["PLUGIN_DISABLED"]
    editor_a = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    started = await gql(client, start, {"d": str(START)}, token=editor_a)
    assessment_id = started["data"]["startAssessment"]["assessment"]["id"]
    answered = await gql(
        client,
        'mutation($id: ID!) { answerIndicators(input: {assessmentId: $id, answers: [{indicator: "X2", answer: "YES"}]}) { assessment { overallScore gaps { indicator { code } } } } }',
        {"id": assessment_id},
        token=editor_a,
    )
    # weights 1 and 3; only X2 met: 100 * 3 / 4
    assert answered["data"]["answerIndicators"]["assessment"] == {
        "overallScore": 75.0,
        "gaps": [{"indicator": {"code": "X1"}}],
    }


async def test_disabling_turns_it_off_again(
    client: Any, world: World, tokens: TokenService
) -> None:
    await enable_for_a(client, world, tokens)
    disabled = await gql(
        client,
        CONFIGURE,
        {"in": {"plugin": "fixture_plugin", "enabled": False}},
        token=admin(tokens),
        tenant=world.a.slug,
    )
    assert disabled["data"]["configurePlugin"]["plugin"]["settingsVersion"] == 2
    assert error_codes(await gql(client, GREETING, tenant=world.a.slug)) == ["PLUGIN_DISABLED"]


async def test_invalid_settings_name_the_setting_and_change_nothing(
    client: Any, world: World, tokens: TokenService
) -> None:
    await enable_for_a(client, world, tokens, {"greeting": "Buenas"})
    for settings, field in [
        ({"max_items": 0}, "settings.max_items"),
        ({"max_items": "many"}, "settings.max_items"),
        ({"greeting": ["x"]}, "settings.greeting"),
    ]:
        result = await gql(
            client,
            CONFIGURE,
            {"in": {"plugin": "fixture_plugin", "settings": settings}},
            token=admin(tokens),
            tenant=world.a.slug,
        )
        assert error_codes(result) == ["BAD_USER_INPUT"]
        assert result["errors"][0]["extensions"]["field"] == field
    after = await gql(
        client,
        "{ plugins { name settings settingsVersion } }",
        token=admin(tokens),
        tenant=world.a.slug,
    )
    assert {
        "name": "fixture_plugin",
        "settings": {"greeting": "Buenas", "max_items": 3},
        "settingsVersion": 1,
    } in after["data"]["plugins"]


async def test_unknown_plugin(client: Any, world: World, tokens: TokenService) -> None:
    result = await gql(
        client,
        CONFIGURE,
        {"in": {"plugin": "nope", "enabled": True}},
        token=admin(tokens),
        tenant=world.a.slug,
    )
    assert error_codes(result) == ["NOT_FOUND"]


async def test_events_reach_only_municipalities_that_enabled_it(
    client: Any, world: World, tokens: TokenService
) -> None:
    await enable_for_a(client, world, tokens)
    usina_fixture.RECEIVED.clear()
    create = (
        'mutation { createActor(input: {kind: ACADEMIA, name: "Universidad"}) { actor { id } } }'
    )
    await gql(client, create, token=tokens.issue(subject="e", role="editor", tenant=world.b.slug))
    assert usina_fixture.RECEIVED == []
    await gql(client, create, token=tokens.issue(subject="e", role="editor", tenant=world.a.slug))
    assert [(e.kind, e.tenant_id) for e in usina_fixture.RECEIVED] == [
        ("actor.create", world.a.municipality.id)
    ]
    assert usina_fixture.RECEIVED[0].data["after"]["name"] == "Universidad"


RECORD_TARGET = 'mutation($c: ID!) { fixtureRecordTarget(input: {commitmentId: $c, code: "T1", value: 42}) { code value } }'
TARGETS = "query($c: ID!) { fixtureTargets(commitmentId: $c) { code value } }"


async def test_a_plugin_outside_the_repository_does_what_the_kpi_plugin_does(
    client: Any, world: World, tokens: TokenService, db: Any
) -> None:
    """Its own records in the core's evaluation storage, a query, an audited mutation,
    per-municipality activation and isolation — written against ``usina`` alone."""
    from sqlalchemy import select

    from core.audit.models import AuditEvent

    await enable_for_a(client, world, tokens)
    editor_a = tokens.issue(subject="ed-a", role="editor", tenant=world.a.slug)
    editor_b = tokens.issue(subject="ed-b", role="editor", tenant=world.b.slug)

    recorded = await gql(client, RECORD_TARGET, {"c": world.a.gid("Commitment")}, token=editor_a)
    assert recorded["data"] == {"fixtureRecordTarget": {"code": "T1", "value": 42.0}}
    public = await gql(client, TARGETS, {"c": world.a.gid("Commitment")}, tenant=world.a.slug)
    assert public["data"] == {"fixtureTargets": [{"code": "T1", "value": 42.0}]}
    async with db.session(world.a.binding) as session:
        actions = (
            await session.execute(
                select(AuditEvent.actor_subject).where(AuditEvent.action == "fixture.target")
            )
        ).scalars()
        assert list(actions) == ["ed-a"]

    anonymous = await gql(
        client, RECORD_TARGET, {"c": world.a.gid("Commitment")}, tenant=world.a.slug
    )
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    in_b = await gql(client, RECORD_TARGET, {"c": world.b.gid("Commitment")}, token=editor_b)
    assert error_codes(in_b) == ["PLUGIN_DISABLED"]
    across = await gql(client, RECORD_TARGET, {"c": world.b.gid("Commitment")}, token=editor_a)
    assert error_codes(across) == ["NOT_FOUND"]
