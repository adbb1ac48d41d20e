"""A forum's meetings as typed records: title, date, place, agenda, minutes, documents and the
actors present, read back by staff and the public alike (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from core.identity.tokens import TokenService
from tests.factories import World, error_codes, gql

RECORD = """
mutation($c: ID!, $d: Date!, $a: [ID!]!) {
  recordMeeting(input: {channelId: $c, heldOn: $d, title: "Segunda sesión del foro",
      place: "Concejo Deliberante", agenda: "Priorizar propuestas", minutes: "Se acordó…",
      attendeeIds: $a,
      documents: [{url: "https://a.example/acta-2.pdf", title: "Acta firmada"}]}) {
    contribution { id kind title meeting { title heldOn } }
  }
}
"""
READ = """
query($id: ID!) { node(id: $id) { ... on Contribution { kind meeting { title heldOn place
  agenda minutes documents { url title } attendees { id name } } } } }
"""


async def test_a_meeting_is_a_typed_record(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    held = str(date.today() - timedelta(days=1))
    recorded = await gql(
        client, RECORD, {"c": a.gid("Forum"), "d": held, "a": [a.gid("Actor")]}, token=editor
    )
    assert error_codes(recorded) == [], recorded
    contribution = recorded["data"]["recordMeeting"]["contribution"]
    assert contribution["meeting"] == {"title": "Segunda sesión del foro", "heldOn": held}
    expected = {
        "title": "Segunda sesión del foro",
        "heldOn": held,
        "place": "Concejo Deliberante",
        "agenda": "Priorizar propuestas",
        "minutes": "Se acordó…",
        "documents": [{"url": "https://a.example/acta-2.pdf", "title": "Acta firmada"}],
        "attendees": [{"id": a.gid("Actor"), "name": "Secretaría a"}],
    }
    for token in (editor, None):
        read = await gql(client, READ, {"id": contribution["id"]}, tenant=a.slug, token=token)
        assert error_codes(read) == [], read
        assert read["data"]["node"] == {"kind": "MEETING", "meeting": expected}

    proposal = await gql(client, READ, {"id": a.gid("Contribution")}, tenant=a.slug)
    assert proposal["data"]["node"] == {"kind": "PROPOSAL", "meeting": None}


async def test_channel_kinds_are_listed(client: httpx.AsyncClient, world: World) -> None:
    result = await gql(
        client,
        "{ channelKinds { name plugin participantKinds staffKinds hasMembers rules "
        "title { es } } }",
        tenant=world.a.slug,
    )
    assert error_codes(result) == [], result
    kinds = {k["name"]: k for k in result["data"]["channelKinds"]}
    assert kinds["consultation"]["participantKinds"] == ["COMMENT", "PROPOSAL", "SUPPORT"]
    assert kinds["consultation"]["rules"] == ["premoderated"]
    assert kinds["forum"] | {"title": None} == {
        "name": "forum",
        "plugin": "forum",
        "participantKinds": [],
        "staffKinds": ["MEETING"],
        "hasMembers": True,
        "rules": [],
        "title": None,
    }
