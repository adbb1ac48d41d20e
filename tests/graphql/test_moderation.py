"""Moderating many contributions at once (all or none), support counts that say what the
public sees and what waits for moderation, and actors' contacts shown to the public only with
their consent (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from core.identity.tokens import TokenService
from graphql_schema.relay import to_global_id
from tests.factories import World, error_codes, gql

SUPPORT = (
    "mutation($c: ID!, $p: ID!) { contribute(input: {channelId: $c, kind: SUPPORT, "
    "parentId: $p}) { contribution { id } } }"
)
MODERATE = (
    "mutation($ids: [ID!]!, $to: Moderation!, $reason: String!) { moderateContributions("
    "input: {ids: $ids, moderation: $to, reason: $reason}) { contributions { id moderation } } }"
)
COUNTS = (
    "query($p: ID!) { node(id: $p) { ... on Contribution { supportCount pendingSupportCount "
    "hiddenSupportCount } } }"
)


async def supports(client: httpx.AsyncClient, world: World, tokens: TokenService) -> list[str]:
    a = world.a
    ids = []
    for who in ("sol", "tomas", "lucia"):
        token = tokens.issue(subject=who, role="participant", tenant=a.slug)
        result = await gql(
            client, SUPPORT, {"c": a.gid("Channel"), "p": a.gid("Contribution")}, token=token
        )
        assert error_codes(result) == [], result
        ids.append(result["data"]["contribute"]["contribution"]["id"])
    return ids


async def counts(client: httpx.AsyncClient, world: World, token: str | None) -> Any:
    a = world.a
    result = await gql(client, COUNTS, {"p": a.gid("Contribution")}, tenant=a.slug, token=token)
    assert error_codes(result) == [], result
    return result["data"]["node"]


async def test_bulk_moderation_and_what_the_counts_say(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    sol, tomas, lucia = await supports(client, world, tokens)

    held = await gql(
        client, MODERATE, {"ids": [tomas, lucia], "to": "PENDING", "reason": ""}, token=editor
    )
    assert error_codes(held) == [], held
    assert held["data"]["moderateContributions"]["contributions"] == [
        {"id": tomas, "moderation": "PENDING"},
        {"id": lucia, "moderation": "PENDING"},
    ]
    hidden = await gql(
        client,
        MODERATE,
        {"ids": [lucia], "to": "HIDDEN", "reason": "Cuenta duplicada"},
        token=editor,
    )
    assert error_codes(hidden) == [], hidden

    expected = {"supportCount": 1, "pendingSupportCount": 1, "hiddenSupportCount": 1}
    assert await counts(client, world, editor) == expected
    public = {"supportCount": 1, "pendingSupportCount": None, "hiddenSupportCount": None}
    assert await counts(client, world, None) == public

    # All or none: one contribution that does not exist (here, of no municipality) and
    # nothing changes; hiding needs a reason; at most 100 at once.
    ghost = to_global_id("Contribution", a.municipality.id)
    for variables, code, field in (
        ({"ids": [sol, ghost], "to": "HIDDEN", "reason": "x"}, "NOT_FOUND", "ids"),
        ({"ids": [sol, tomas], "to": "HIDDEN", "reason": " "}, "BAD_USER_INPUT", "reason"),
        ({"ids": [], "to": "HIDDEN", "reason": "x"}, "BAD_USER_INPUT", "ids"),
    ):
        refused = await gql(client, MODERATE, variables, token=editor)
        assert error_codes(refused) == [code], refused
        assert refused["errors"][0]["extensions"]["field"] == field
        assert await counts(client, world, editor) == expected
    too_many = [to_global_id("Contribution", uuid.UUID(int=i)) for i in range(101)]
    refused = await gql(
        client, MODERATE, {"ids": too_many, "to": "HIDDEN", "reason": "x"}, token=editor
    )
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert refused["errors"][0]["extensions"]["field"] == "ids"


ACTOR = (
    'mutation($public: Boolean!) { createActor(input: {kind: CIVIL_SOCIETY, name: "Red Ciudadana", '
    'contactName: "Marta Gil", contactEmail: "marta@red.example", contactPublic: $public}) '
    "{ actor { id } } }"
)
CONTACT = (
    "query($id: ID!) { node(id: $id) { ... on Actor { contactName contactEmail contactPublic } } }"
)


async def test_an_actors_contact_is_public_only_with_consent(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    created = await gql(client, ACTOR, {"public": False}, token=editor)
    assert error_codes(created) == [], created
    actor = created["data"]["createActor"]["actor"]["id"]

    async def contact(token: str | None) -> Any:
        result = await gql(client, CONTACT, {"id": actor}, tenant=a.slug, token=token)
        assert error_codes(result) == [], result
        return result["data"]["node"]

    staff_view = {"contactName": "Marta Gil", "contactEmail": "marta@red.example"}
    assert await contact(editor) == staff_view | {"contactPublic": False}
    participant = tokens.issue(subject="sol", role="participant", tenant=a.slug)
    hidden = {"contactName": None, "contactEmail": None, "contactPublic": False}
    assert await contact(None) == hidden
    assert await contact(participant) == hidden

    agreed = await gql(
        client,
        "mutation($id: ID!) { updateActor(input: {id: $id, contactPublic: true}) "
        "{ actor { contactPublic } } }",
        {"id": actor},
        token=editor,
    )
    assert error_codes(agreed) == [], agreed
    assert await contact(None) == staff_view | {"contactPublic": True}
