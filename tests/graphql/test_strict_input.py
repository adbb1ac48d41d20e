"""Mistakes that used to be accepted silently: each is refused with its code and the field it
names, and changes nothing in either municipality (issue 13, point 6)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from core.identity.tokens import TokenService
from tenants.database import Database
from tests.factories import World, error_codes, gql
from tests.tenants.test_isolation import snapshot

NEXT_YEAR = str(date.today() + timedelta(days=365))
MEETING = (
    "mutation($c: ID!, $d: Date!, $a: [ID!]!) { recordMeeting(input: {channelId: $c, heldOn: $d,"
    ' agenda: "Revisión", attendeeIds: $a}) { contribution { id } } }'
)

# case: (document, variables(world), role, code, field)
CASES: dict[str, tuple[str, Any, str, str, str]] = {
    "a misspelt plugin setting": (
        'mutation { configurePlugin(input: {plugin: "ogp_irm", enabled: true, settings: {min_consultaton_days: 30}}) { plugin { enabled } } }',
        lambda w: {},
        "platform_admin",
        "BAD_USER_INPUT",
        "settings.min_consultaton_days",
    ),
    "a misspelt channel rule": (
        'mutation($p: ID!) { openChannel(input: {actionPlanId: $p, kind: "consultation", title: "c", opensAt: "2026-01-01T00:00:00Z", closesAt: "2027-01-01T00:00:00Z", rules: {premoderate: true}}) { channel { id } } }',
        lambda w: {"p": w.a.gid("ActionPlan")},
        "editor",
        "BAD_USER_INPUT",
        "rules.premoderate",
    ),
    "a webhook for an event that does not exist": (
        'mutation { registerWebhook(input: {url: "https://h.example/x", events: ["action_plan.transition", "no.such.event"]}) { secret } }',
        lambda w: {},
        "tenant_admin",
        "BAD_USER_INPUT",
        "events.1",
    ),
    "a commitment addressing an indicator that is no gap": (
        'mutation($c: ID!, $a: ID!) { linkCommitmentGaps(input: {commitmentId: $c, gaps: [{assessmentId: $a, indicator: "A1"}]}) { commitment { id } } }',
        lambda w: {"c": w.a.gid("Commitment"), "a": w.a.gid("Assessment")},  # A1: YES
        "editor",
        "BAD_USER_INPUT",
        "gaps.0.indicator",
    ),
    "a KPI whose target equals its baseline": (
        'mutation($c: ID!) { defineKpi(input: {commitmentId: $c, code: "K2", name: "Solicitudes", unit: "%", baseline: 40, target: 40}) { kpi { code } } }',
        lambda w: {"c": w.a.gid("Commitment")},
        "editor",
        "BAD_USER_INPUT",
        "target",
    ),
    "a KPI value measured in the future": (
        'mutation($c: ID!, $d: Date!) { recordKpiValue(input: {commitmentId: $c, code: "K1", value: 12, measuredOn: $d}) { kpi { code } } }',
        lambda w: {"c": w.a.gid("Commitment"), "d": "2030-01-01"},
        "editor",
        "BAD_USER_INPUT",
        "measuredOn",
    ),
    "a meeting held next year": (
        MEETING,
        lambda w: {"c": w.a.gid("Forum"), "d": NEXT_YEAR, "a": [w.a.gid("Actor")]},
        "editor",
        "BAD_USER_INPUT",
        "heldOn",
    ),
    "a meeting attendee who holds no seat in the forum": (
        MEETING,
        lambda w: {
            "c": w.a.gid("Forum"),
            "d": str(date.today()),
            "a": [w.a.gid("Actor"), w.a.gid("CivilSocietyActor")],
        },
        "editor",
        "BAD_USER_INPUT",
        "attendeeIds",
    ),
    "a meeting document that is no link": (
        'mutation($c: ID!, $d: Date!) { recordMeeting(input: {channelId: $c, heldOn: $d, agenda: "x", documents: [{url: "acta.pdf"}]}) { contribution { id } } }',
        lambda w: {"c": w.a.gid("Forum"), "d": str(date.today())},
        "editor",
        "BAD_USER_INPUT",
        "documents.url",
    ),
    "a meeting without an agenda": (
        'mutation($c: ID!, $d: Date!) { recordMeeting(input: {channelId: $c, heldOn: $d, agenda: " "}) { contribution { id } } }',
        lambda w: {"c": w.a.gid("Forum"), "d": str(date.today())},
        "editor",
        "BAD_USER_INPUT",
        "agenda",
    ),
    "a second draft evaluation of one commitment": (
        'mutation($p: ID!, $c: ID!) { startEvaluation(input: {framework: "ogp_irm", actionPlanId: $p, commitmentId: $c}) { evaluation { id } } }',
        lambda w: {"p": w.a.gid("ActionPlan"), "c": w.a.gid("Commitment")},
        "reviewer",
        "CONFLICT",
        "commitmentId",
    ),
    "a second actor of the same name": (
        'mutation { createActor(input: {kind: CIVIL_SOCIETY, name: "ong A"}) { actor { id } } }',
        lambda w: {},
        "editor",
        "CONFLICT",
        "name",
    ),
    "an actor renamed to another's name": (
        'mutation($id: ID!) { updateActor(input: {id: $id, name: "ONG a"}) { actor { id } } }',
        lambda w: {"id": w.a.gid("Actor")},
        "editor",
        "CONFLICT",
        "name",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_mistake_is_refused_by_name_and_changes_nothing(
    client: Any, db: Database, world: World, tokens: TokenService, case: str
) -> None:
    document, variables, role, code, field = CASES[case]
    tenant = None if role == "platform_admin" else world.a.slug
    token = tokens.issue(subject=f"{role}-a", role=role, tenant=tenant)
    before = (await snapshot(db, world.a), await snapshot(db, world.b))
    for language in ("en", "es"):
        result = await gql(
            client,
            document,
            variables(world),
            token=token,
            tenant=world.a.slug,
            headers={"Accept-Language": language},
        )
        assert error_codes(result) == [code], result
        error = result["errors"][0]
        assert error["extensions"]["field"] == field
        assert set(error["extensions"]["message"]) == {"en", "es", "pt"}
        assert error["message"] == error["extensions"]["message"][language]
        assert "Traceback" not in json.dumps(result)
    after = (await snapshot(db, world.a), await snapshot(db, world.b))
    if role == "platform_admin":  # the platform's staff binding to A is itself audited, in A
        for state in (*before, *after):
            state.pop("audit_events")
    assert after == before


async def test_webhook_event_names_are_listed(client: Any, world: World) -> None:
    result = await gql(client, "{ webhookEvents }", tenant=world.a.slug)
    events = result["data"]["webhookEvents"]
    assert events == sorted(events)
    assert {"action_plan.transition", "channel.close", "kpi.record", "fixture.target"} <= set(
        events
    )


def _recorded_actions() -> set[str]:
    """The literal actions the code passes to ``audit.record`` (and the identity service's
    ``_delete_audited``); actions built from an enum are listed by iterating the enum."""
    import ast
    import re

    from tests.conftest import REPO

    found: set[str] = set()
    packages = ("core", "plugins", "graphql_schema", "tenants", "workers", "tests/fixture_plugin")
    for package in packages:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in ("record", "_delete_audited"):
                    continue
                found.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and re.fullmatch(r"[a-z_]+\.[a-z_]+", arg.value)
                )
    return found


def test_every_recorded_action_is_a_listed_webhook_event() -> None:
    from plugins.manager import make_plugin_manager

    recorded = _recorded_actions()
    assert {"action_plan.create", "membership.remove", "kpi.record"} <= recorded
    assert recorded <= set(make_plugin_manager().events())
