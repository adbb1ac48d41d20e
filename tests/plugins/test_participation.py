"""Participation and evaluation: bad input gets a code and changes nothing; moderation and
pre-moderation behave as the public expects."""

from __future__ import annotations

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
