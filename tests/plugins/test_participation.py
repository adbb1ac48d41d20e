"""Participation and evaluation: bad input gets a code and changes nothing; moderation and
pre-moderation behave as the public expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.identity.tokens import TokenService
from tenants.database import Database
from tests.factories import World, error_codes, gql
from tests.tenants.test_isolation import snapshot

CONTRIBUTE = "mutation($in: ContributeInput!) { contribute(input: $in) { contribution { id } } }"
OPEN = "mutation($in: OpenChannelInput!) { openChannel(input: $in) { channel { id } } }"
RESPOND = "mutation($in: RespondToContributionInput!) { respondToContribution(input: $in) { contribution { id } } }"
RATE = "mutation($in: RateCriterionInput!) { rateCriterion(input: $in) { evaluation { id } } }"
START = "mutation($in: StartEvaluationInput!) { startEvaluation(input: $in) { evaluation { id } } }"


def channel_input(w: World, **over: Any) -> dict[str, Any]:
    return {
        "actionPlanId": w.a.gid("ActionPlan"),
        "kind": "consultation",
        "title": "c",
        "opensAt": "2026-01-01T00:00:00Z",
        "closesAt": "2027-01-01T00:00:00Z",
    } | over


# case: (document, variables(world), role, code, field)
CASES: dict[str, tuple[str, Any, str, str, str | None]] = {
    "unknown channel kind": (
        OPEN,
        lambda w: {"in": channel_input(w, kind="townhall")},
        "editor",
        "BAD_USER_INPUT",
        "kind",
    ),
    "invalid channel rules": (
        OPEN,
        lambda w: {"in": channel_input(w, rules={"premoderated": "sometimes"})},
        "editor",
        "BAD_USER_INPUT",
        "rules.premoderated",
    ),
    "channel closing before it opens": (
        OPEN,
        lambda w: {"in": channel_input(w, closesAt="2025-01-01T00:00:00Z")},
        "editor",
        "BAD_USER_INPUT",
        "closesAt",
    ),
    "extending a channel to an earlier date": (
        'mutation($c: ID!) { extendChannel(input: {id: $c, closesAt: "2026-01-02T00:00:00Z"}) { channel { id } } }',
        lambda w: {"c": w.a.gid("Channel")},
        "editor",
        "BAD_USER_INPUT",
        "closesAt",
    ),
    "moving the opening date of an open channel": (
        'mutation($c: ID!) { updateChannel(input: {id: $c, opensAt: "2026-01-02T00:00:00Z"}) { channel { id } } }',
        lambda w: {"c": w.a.gid("Channel")},
        "editor",
        "CONFLICT",
        "opensAt",
    ),
    "invalid channel rules on an edit": (
        'mutation($c: ID!) { updateChannel(input: {id: $c, rules: {premoderated: "sometimes"}}) { channel { id } } }',
        lambda w: {"c": w.a.gid("Channel")},
        "editor",
        "BAD_USER_INPUT",
        "rules.premoderated",
    ),
    "an empty channel title": (
        'mutation($c: ID!) { updateChannel(input: {id: $c, title: "  "}) { channel { id } } }',
        lambda w: {"c": w.a.gid("Channel")},
        "editor",
        "BAD_USER_INPUT",
        "title",
    ),
    "a second support": (
        CONTRIBUTE,
        lambda w: {
            "in": {
                "channelId": w.a.gid("Channel"),
                "kind": "SUPPORT",
                "parentId": w.a.gid("Contribution"),
            }
        },
        "participant:supporter",
        "CONFLICT",
        "parentId",
    ),
    "supporting one's own proposal": (
        CONTRIBUTE,
        lambda w: {
            "in": {
                "channelId": w.a.gid("Channel"),
                "kind": "SUPPORT",
                "parentId": w.a.gid("Contribution"),
            }
        },
        "participant:vecina-a",  # the proposal's author in the world
        "CONFLICT",
        "parentId",
    ),
    "a support without its proposal": (
        CONTRIBUTE,
        lambda w: {"in": {"channelId": w.a.gid("Channel"), "kind": "SUPPORT"}},
        "participant",
        "BAD_USER_INPUT",
        "parentId",
    ),
    "a meeting through the participants' door": (
        CONTRIBUTE,
        lambda w: {"in": {"channelId": w.a.gid("Forum"), "kind": "MEETING", "body": "x"}},
        "participant",
        "BAD_USER_INPUT",
        "kind",
    ),
    "a proposal without a title": (
        CONTRIBUTE,
        lambda w: {"in": {"channelId": w.a.gid("Channel"), "kind": "PROPOSAL", "body": "x"}},
        "participant",
        "BAD_USER_INPUT",
        "title",
    ),
    "a response without reasons": (
        RESPOND,
        lambda w: {"in": {"id": w.a.gid("Contribution"), "outcome": "DECLINED", "response": " "}},
        "editor",
        "BAD_USER_INPUT",
        "response",
    ),
    "accepted into no commitment": (
        RESPOND,
        lambda w: {"in": {"id": w.a.gid("Contribution"), "outcome": "ACCEPTED", "response": "Sí"}},
        "editor",
        "BAD_USER_INPUT",
        "commitmentIds",
    ),
    "merged into itself": (
        RESPOND,
        lambda w: {
            "in": {
                "id": w.a.gid("Contribution"),
                "outcome": "MERGED",
                "response": "Sí",
                "mergedIntoId": w.a.gid("Contribution"),
            }
        },
        "editor",
        "BAD_USER_INPUT",
        "mergedIntoId",
    ),
    "unknown framework": (
        START,
        lambda w: {"in": {"framework": "nope", "actionPlanId": w.a.gid("ActionPlan")}},
        "reviewer",
        "BAD_USER_INPUT",
        "framework",
    ),
    "a rating off the scale": (
        RATE,
        lambda w: {
            "in": {
                "evaluationId": w.a.gid("DraftEvaluation"),
                "criterion": "VERIFIABILITY",
                "value": "MAYBE",
                "justification": "x",
            }
        },
        "reviewer",
        "BAD_USER_INPUT",
        "value",
    ),
    "an unknown criterion": (
        RATE,
        lambda w: {
            "in": {
                "evaluationId": w.a.gid("DraftEvaluation"),
                "criterion": "BEAUTY",
                "value": "YES",
                "justification": "x",
            }
        },
        "reviewer",
        "BAD_USER_INPUT",
        "criterion",
    ),
    "a rating without justification": (
        RATE,
        lambda w: {
            "in": {
                "evaluationId": w.a.gid("DraftEvaluation"),
                "criterion": "VERIFIABILITY",
                "value": "VERIFIABLE",
            }
        },
        "reviewer",
        "BAD_USER_INPUT",
        "justification",
    ),
    "an override without justification": (
        RATE,
        lambda w: {
            "in": {
                "evaluationId": w.a.gid("DraftEvaluation"),
                "criterion": "COMPLETION",
                "value": "COMPLETE",
            }
        },
        "reviewer",
        "BAD_USER_INPUT",
        "justification",
    ),
    "a KPI value for an undefined KPI": (
        'mutation($c: ID!) { recordKpiValue(input: {commitmentId: $c, code: "NOPE", value: 1, measuredOn: "2026-05-01"}) { kpi { code } } }',
        lambda w: {"c": w.a.gid("Commitment")},
        "editor",
        "NOT_FOUND",
        "code",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_participation_bad_input_gets_a_code_and_changes_nothing(
    client: Any, db: Database, world: World, tokens: TokenService, case: str
) -> None:
    document, variables, role, code, field = CASES[case]
    role, _, subject = role.partition(":")
    token = tokens.issue(subject=subject or f"{role}-a", role=role, tenant=world.a.slug)
    if case == "a second support":
        first = await gql(client, document, variables(world), token=token)
        assert error_codes(first) == []
    before = (await snapshot(db, world.a), await snapshot(db, world.b))
    result = await gql(client, document, variables(world), token=token)
    assert error_codes(result) == [code], result
    if field:
        assert result["errors"][0]["extensions"]["field"] == field
    assert (await snapshot(db, world.a), await snapshot(db, world.b)) == before


async def test_contributions_after_closing_are_refused(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    closed = await gql(
        client,
        OPEN,
        {
            "in": channel_input(
                world, opensAt="2025-01-01T00:00:00Z", closesAt="2025-02-01T00:00:00Z"
            )
        },
        token=editor,
    )
    channel = closed["data"]["openChannel"]["channel"]["id"]
    before = await snapshot(db, world.a)
    participant = tokens.issue(subject="p", role="participant", tenant=world.a.slug)
    late = await gql(
        client,
        CONTRIBUTE,
        {"in": {"channelId": channel, "kind": "PROPOSAL", "title": "t", "body": "b"}},
        token=participant,
    )
    assert error_codes(late) == ["CONFLICT"]
    assert late["errors"][0]["extensions"]["field"] == "channelId"
    assert await snapshot(db, world.a) == before


CHANNEL = "id title state isOpen opensAt closesAt rules"


async def test_a_channel_is_edited_extended_and_closed(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    participant = tokens.issue(subject="p", role="participant", tenant=world.a.slug)
    now = datetime.now(UTC)

    async def call(document: str, token: str = editor, **variables: Any) -> dict[str, Any]:
        return await gql(client, document, variables, token=token)

    opened = await call(
        f"mutation($in: OpenChannelInput!) {{ openChannel(input: $in) {{ channel {{ {CHANNEL} }} }} }}",
        **{
            "in": channel_input(
                world,
                opensAt=(now + timedelta(days=2)).isoformat(),
                closesAt=(now + timedelta(days=30)).isoformat(),
            )
        },
    )
    channel = opened["data"]["openChannel"]["channel"]
    assert (channel["state"], channel["isOpen"]) == ("UPCOMING", False)
    edited = await call(
        f'mutation($c: ID!, $o: DateTime!) {{ updateChannel(input: {{id: $c, title: "Consulta 2027", opensAt: $o, rules: {{premoderated: true}}}}) {{ channel {{ {CHANNEL} }} }} }}',
        c=channel["id"],
        o=(now - timedelta(hours=1)).isoformat(),
    )
    channel = edited["data"]["updateChannel"]["channel"]
    assert (channel["title"], channel["state"], channel["rules"]) == (
        "Consulta 2027",
        "OPEN",
        {"premoderated": True},
    )
    later = (now + timedelta(days=60)).isoformat()
    extended = await call(
        f"mutation($c: ID!, $t: DateTime!) {{ extendChannel(input: {{id: $c, closesAt: $t}}) {{ channel {{ {CHANNEL} }} }} }}",
        c=channel["id"],
        t=later,
    )
    assert datetime.fromisoformat(
        extended["data"]["extendChannel"]["channel"]["closesAt"]
    ) == datetime.fromisoformat(later)
    close = f"mutation($c: ID!) {{ closeChannel(input: {{id: $c}}) {{ channel {{ {CHANNEL} }} }} }}"
    closed = (await call(close, c=channel["id"]))["data"]["closeChannel"]["channel"]
    assert (closed["state"], closed["isOpen"]) == ("CLOSED", False)
    assert datetime.fromisoformat(closed["closesAt"]) < now + timedelta(minutes=1)

    # Closed stays closed: no second close, no extension, no participants' contributions.
    before = await snapshot(db, world.a)
    again = await call(close, c=channel["id"])
    assert error_codes(again) == ["CONFLICT"]
    reopened = await call(
        "mutation($c: ID!, $t: DateTime!) { extendChannel(input: {id: $c, closesAt: $t}) { channel { id } } }",
        c=channel["id"],
        t=(now + timedelta(days=90)).isoformat(),
    )
    assert error_codes(reopened) == ["CONFLICT"]
    assert reopened["errors"][0]["extensions"]["field"] == "id"
    late = await call(
        CONTRIBUTE,
        token=participant,
        **{"in": {"channelId": channel["id"], "kind": "PROPOSAL", "title": "t", "body": "b"}},
    )
    assert error_codes(late) == ["CONFLICT"]
    assert await snapshot(db, world.a) == before


async def test_an_upcoming_channel_closed_by_hand_never_opens(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    now = datetime.now(UTC)
    opened = await gql(
        client,
        OPEN,
        {
            "in": channel_input(
                world,
                opensAt=(now + timedelta(days=2)).isoformat(),
                closesAt=(now + timedelta(days=30)).isoformat(),
            )
        },
        token=editor,
    )
    channel = opened["data"]["openChannel"]["channel"]["id"]
    closed = await gql(
        client,
        "mutation($c: ID!) { closeChannel(input: {id: $c}) { channel { state opensAt closesAt } } }",
        {"c": channel},
        token=editor,
    )
    result = closed["data"]["closeChannel"]["channel"]
    assert result["state"] == "CLOSED"
    assert result["opensAt"] == result["closesAt"]


CHECKLIST = (
    "query($p: ID!) { cocreationChecklist(actionPlanId: $p) { items { code met detail { en } } } }"
)


async def test_the_checklist_counts_the_days_a_consultation_really_took_input(
    client: Any, world: World, tokens: TokenService
) -> None:
    """A consultation scheduled for 89 days that has been open an hour, or was closed after
    an hour, took input for 0 days; one opened 20 days ago and closed now, for 20 (the
    plugin's minimum is 14)."""
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    now = datetime.now(UTC)
    created = await gql(
        client,
        'mutation { createActionPlan(input: {title: "Plan 2027", startDate: "2027-01-01", endDate: "2028-12-31"}) { actionPlan { id } } }',
        {},
        token=editor,
    )
    plan = created["data"]["createActionPlan"]["actionPlan"]["id"]

    async def consultation(opened_ago: timedelta, *, close: bool = True) -> None:
        opened = await gql(
            client,
            OPEN,
            {
                "in": channel_input(
                    world,
                    actionPlanId=plan,
                    opensAt=(now - opened_ago).isoformat(),
                    closesAt=(now + timedelta(days=89)).isoformat(),
                )
            },
            token=editor,
        )
        channel = opened["data"]["openChannel"]["channel"]["id"]
        if not close:
            return
        closed = await gql(
            client,
            "mutation($c: ID!) { closeChannel(input: {id: $c}) { channel { id } } }",
            {"c": channel},
            token=editor,
        )
        assert error_codes(closed) == []

    async def open_long_enough() -> dict[str, Any]:
        result = await gql(client, CHECKLIST, {"p": plan}, token=editor)
        items = result["data"]["cocreationChecklist"]["items"]
        return next(i for i in items if i["code"] == "CONSULTATION_OPEN_LONG_ENOUGH")

    await consultation(timedelta(hours=1), close=False)  # scheduled for 89 days, open for 1 hour
    await consultation(timedelta(hours=1))
    item = await open_long_enough()
    assert (item["met"], item["detail"]["en"]) == (
        False,
        "Longest consultation: 0 day(s) (at least 14).",
    )
    await consultation(timedelta(days=20))
    item = await open_long_enough()
    assert (item["met"], item["detail"]["en"]) == (
        True,
        "Longest consultation: 20 day(s) (at least 14).",
    )


async def test_premoderated_proposals_wait_for_a_moderator(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    opened = await gql(
        client,
        OPEN,
        {
            "in": channel_input(
                world,
                opensAt="2026-01-01T00:00:00Z",
                closesAt="2099-01-01T00:00:00Z",
                rules={"premoderated": True},
            )
        },
        token=editor,
    )
    channel = opened["data"]["openChannel"]["channel"]["id"]
    participant = tokens.issue(subject="p", role="participant", tenant=world.a.slug)
    made = await gql(
        client,
        CONTRIBUTE,
        {"in": {"channelId": channel, "kind": "PROPOSAL", "title": "t", "body": "b"}},
        token=participant,
    )
    proposal = made["data"]["contribute"]["contribution"]["id"]
    listing = "query($c: ID!) { node(id: $c) { ... on Channel { contributions { totalCount } } } }"
    assert (await gql(client, listing, {"c": channel}, tenant=world.a.slug))["data"]["node"][
        "contributions"
    ]["totalCount"] == 0
    assert (await gql(client, listing, {"c": channel}, token=editor))["data"]["node"][
        "contributions"
    ]["totalCount"] == 1
    # Its author sees it waiting (and its moderation state); another participant does not.
    mine = "query($id: ID!) { node(id: $id) { ... on Contribution { moderation } } }"
    own = await gql(client, mine, {"id": proposal}, token=participant)
    assert own["data"]["node"] == {"moderation": "PENDING"}
    other = tokens.issue(subject="q", role="participant", tenant=world.a.slug)
    assert error_codes(await gql(client, mine, {"id": proposal}, token=other)) == ["NOT_FOUND"]
    await gql(
        client,
        "mutation($id: ID!) { moderateContribution(input: {id: $id, moderation: PUBLISHED}) { contribution { id } } }",
        {"id": proposal},
        token=editor,
    )
    assert (await gql(client, listing, {"c": channel}, tenant=world.a.slug))["data"]["node"][
        "contributions"
    ]["totalCount"] == 1


async def test_hidden_contributions_leave_the_public_view_with_a_reason(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    result = await gql(
        client,
        'mutation($id: ID!) { moderateContribution(input: {id: $id, moderation: HIDDEN, reason: "Datos personales"}) { contribution { moderation moderationReason } } }',
        {"id": world.a.gid("Contribution")},
        token=editor,
    )
    assert result["data"]["moderateContribution"]["contribution"] == {
        "moderation": "HIDDEN",
        "moderationReason": "Datos personales",
    }
    public = await gql(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": world.a.gid("Contribution")},
        tenant=world.a.slug,
    )
    assert error_codes(public) == ["NOT_FOUND"]
    no_reason = await gql(
        client,
        "mutation($id: ID!) { moderateContribution(input: {id: $id, moderation: HIDDEN}) { contribution { id } } }",
        {"id": world.a.gid("Contribution")},
        token=editor,
    )
    assert error_codes(no_reason) == ["BAD_USER_INPUT"]


async def test_kpis_measure_progress_toward_the_target(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    record = 'mutation($c: ID!, $v: Float!, $d: Date!) { recordKpiValue(input: {commitmentId: $c, code: "K1", value: $v, measuredOn: $d}) { kpi { achievement latest { value } } } }'
    await gql(
        client, record, {"c": world.a.gid("Commitment"), "v": 10, "d": "2026-03-01"}, token=editor
    )
    result = await gql(
        client, record, {"c": world.a.gid("Commitment"), "v": 30, "d": "2026-06-01"}, token=editor
    )
    assert result["data"]["recordKpiValue"]["kpi"] == {
        "achievement": 75.0,
        "latest": {"value": 30.0},
    }  # (30-0)/(40-0)
    public = await gql(
        client,
        "query($c: ID!) { commitmentKpis(commitmentId: $c) { code baseline target measurements { value } } }",
        {"c": world.a.gid("Commitment")},
        tenant=world.a.slug,
    )
    assert public["data"]["commitmentKpis"] == [
        {
            "code": "K1",
            "baseline": 0.0,
            "target": 40.0,
            "measurements": [{"value": 10.0}, {"value": 30.0}],
        }
    ]


async def test_kpis_are_not_evaluations_in_the_api_or_the_exports(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    """The world's commitment has a draft IRM evaluation and a KPI (K1): the KPI is listed by
    ``commitmentKpis`` and the export's ``indicators``, never as an evaluation or a rating."""
    import json

    from core.exports import plan as exports
    from core.municipalities.models import Municipality
    from plugins.manager import make_plugin_manager

    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    seen = await gql(
        client,
        "query($c: ID!) { node(id: $c) { ... on Commitment { evaluations { framework ratings { code } } } } commitmentKpis(commitmentId: $c) { code } }",
        {"c": world.a.gid("Commitment")},
        token=editor,
    )
    frameworks = [e["framework"] for e in seen["data"]["node"]["evaluations"]]
    assert frameworks == ["ogp_irm"]
    assert all(r["code"] != "K1" for e in seen["data"]["node"]["evaluations"] for r in e["ratings"])
    assert [k["code"] for k in seen["data"]["commitmentKpis"]] == ["K1"]

    async with db.session(world.a.binding) as session:
        municipality = await session.get(Municipality, world.a.municipality.id)
        data = await exports.load(
            session,
            municipality,
            world.a.plan_id,
            measuring=make_plugin_manager().measuring_frameworks(),
        )
    commitment = json.loads(exports.BUILDERS["json"](data))["commitments"][0]
    assert "K1" not in commitment["ratings"]
    assert [(i["framework"], i["code"], i["target"]) for i in commitment["indicators"]] == [
        ("kpi", "K1", 40)
    ]
    report = exports.BUILDERS["html"](data).decode()  # in the municipality's Spanish
    assert "<h3>Indicadores</h3>" in report
    assert (
        "<tr><td>K1 Conjuntos publicados</td><td>0 datasets</td><td>40 datasets</td><td>—</td></tr>"
    ) in report


CONTRIBUTIONS = """query($c: ID!, $m: [Moderation!], $o: [ResponseOutcome!], $a: Boolean) {
  node(id: $c) { ... on Channel { contributions(kind: PROPOSAL, moderation: $m, outcome: $o, answered: $a) {
    totalCount nodes { title authorName authorAccount } } } } }"""


async def test_staff_filter_contributions_by_state_and_outcome(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    channel = world.a.gid("Channel")

    async def titles(**variables: Any) -> list[str]:
        result = await gql(client, CONTRIBUTIONS, {"c": channel, **variables}, token=editor)
        page = result["data"]["node"]["contributions"]
        assert page["totalCount"] == len(page["nodes"])
        return [n["title"] for n in page["nodes"]]

    participant = tokens.issue(
        subject="vecino-b", role="participant", tenant=world.a.slug, extra={"name": "Juan Pérez"}
    )
    posed = await gql(
        client,
        CONTRIBUTE,
        {
            "in": {
                "channelId": channel,
                "kind": "PROPOSAL",
                "title": "Más bancos",
                "body": "En la plaza.",
                "authorName": "Intendente Municipal",
            }
        },
        token=participant,
    )
    assert error_codes(posed) == []
    assert await titles(a=False) == ["Datos abiertos", "Más bancos"]
    answered = await gql(
        client,
        RESPOND,
        {
            "in": {
                "id": posed["data"]["contribute"]["contribution"]["id"],
                "outcome": "DECLINED",
                "response": "Fuera del alcance del plan.",
            }
        },
        token=editor,
    )
    assert error_codes(answered) == []
    assert await titles(a=False) == ["Datos abiertos"]
    assert await titles(a=True) == ["Más bancos"]
    assert await titles(o=["DECLINED"]) == ["Más bancos"]
    assert await titles(o=["ACCEPTED", "MERGED"]) == []
    assert await titles(m=["PENDING", "HIDDEN"]) == []
    assert await titles(m=["PUBLISHED"], a=True) == ["Más bancos"]

    # The name is the identity's, never the input's; only moderators see the account.
    staff_view = await gql(client, CONTRIBUTIONS, {"c": channel, "a": True}, token=editor)
    public_view = await gql(client, CONTRIBUTIONS, {"c": channel, "a": True}, tenant=world.a.slug)
    [seen] = staff_view["data"]["node"]["contributions"]["nodes"]
    assert (seen["authorName"], seen["authorAccount"]) == ("Juan Pérez", "vecino-b")
    [public] = public_view["data"]["node"]["contributions"]["nodes"]
    assert (public["authorName"], public["authorAccount"]) == ("Juan Pérez", None)
