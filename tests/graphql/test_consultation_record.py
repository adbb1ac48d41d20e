"""The consultation's record as open data (OGP co-creation standards): every published
contribution, its supports, the reasoned response and the commitments it led to, authors
anonymised; found through GraphQL (``Channel.openData``) and the DCAT catalogue, downloaded
over HTTP as CSV, XLSX and JSON (PostgreSQL and SQLite)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
from openpyxl import load_workbook

from core.exports import consultation as record
from core.identity.tokens import TokenService
from core.ids import from_global_id
from graphql_schema.relay import to_global_id
from tests.factories import World, error_codes, gql

FORMULA = '=HYPERLINK("http://example.invalid","Clic aquí")'
OPEN_DATA = (
    "query($c: ID!, $p: ID!) { channel: node(id: $c) { ... on Channel { openData "
    "{ format mediaType url } } } plan: node(id: $p) { ... on ActionPlan { openData "
    "{ format url } } } }"
)


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


async def consultation(client: httpx.AsyncClient, world: World, tokens: TokenService) -> None:
    """Two participants (accounts that are e-mail addresses, one with a name), a support, a
    reply, a proposal accepted into a commitment, one declined, one hidden by the moderator."""
    a = world.a
    ana = tokens.issue(
        subject="ana@correo.example", role="participant", tenant=a.slug, extra={"name": "Ana"}
    )
    beto = tokens.issue(subject="beto@correo.example", role="participant", tenant=a.slug)
    editor = tokens.issue(subject="editora@muni.example", role="editor", tenant=a.slug)

    async def ok(token: str, query: str, variables: dict[str, Any]) -> Any:
        answer = await gql(client, query, variables, token=token)
        assert error_codes(answer) == [], answer
        return answer["data"]

    contribute = (
        "mutation($c: ID!, $k: ContributionKind!, $p: ID, $t: String!, $b: String!) "
        "{ contribute(input: {channelId: $c, kind: $k, parentId: $p, title: $t, body: $b}) "
        "{ contribution { id } } }"
    )
    channel = a.gid("Channel")

    async def add(token: str, kind: str, title: str, body: str, parent: str | None = None) -> str:
        data = await ok(
            token, contribute, {"c": channel, "k": kind, "p": parent, "t": title, "b": body}
        )
        return str(data["contribute"]["contribution"]["id"])

    lighting = await add(ana, "PROPOSAL", "Más luminarias", "En el barrio norte.")
    await add(beto, "SUPPORT", "", "", parent=lighting)
    await add(beto, "COMMENT", "", "También en la plaza.", parent=lighting)
    formula = await add(beto, "PROPOSAL", FORMULA, "-1+1")
    hidden = await add(ana, "PROPOSAL", "Fuera de tema", "Spam")
    respond = (
        "mutation($i: ID!, $o: ResponseOutcome!, $r: String!, $c: [ID!]!) "
        "{ respondToContribution(input: {id: $i, outcome: $o, response: $r, commitmentIds: $c}) "
        "{ contribution { id } } }"
    )
    await ok(
        editor,
        respond,
        {
            "i": lighting,
            "o": "ACCEPTED",
            "r": "La recoge el compromiso 1.",
            "c": [a.gid("Commitment")],
        },
    )
    await ok(editor, respond, {"i": formula, "o": "DECLINED", "r": "No es viable.", "c": []})
    await ok(
        editor,
        "mutation($i: ID!) { moderateContribution(input: {id: $i, moderation: HIDDEN, "
        'reason: "Fuera de tema"}) { contribution { id } } }',
        {"i": hidden},
    )


async def test_the_record_is_found_through_graphql_and_downloaded_in_every_format(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    await consultation(client, world, tokens)
    found = await gql(
        client, OPEN_DATA, {"c": a.gid("Channel"), "p": a.gid("ActionPlan")}, tenant=a.slug
    )
    assert error_codes(found) == [], found
    files = {f["format"]: f for f in found["data"]["channel"]["openData"]}
    assert set(files) == {"CSV", "XLSX", "JSON"}
    assert {f["format"] for f in found["data"]["plan"]["openData"]} == {
        "CSV",
        "XLSX",
        "JSON",
        "HTML",
    }
    for plan_file in found["data"]["plan"]["openData"]:
        assert (await client.get(path_of(plan_file["url"]))).status_code == 200

    downloads = {}
    for fmt, file in files.items():
        answer = await client.get(path_of(file["url"]))  # anonymous: no header, no token
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(file["mediaType"].split(";")[0])
        downloads[fmt] = answer.content
        for secret in (b"ana@", b"beto@", b"editora@", b"vecina-a", b"Ana"):
            assert secret not in downloads[fmt], (fmt, secret)

    rows = list(csv.DictReader(io.StringIO(downloads["CSV"].decode("utf-8-sig"))))
    assert list(rows[0]) == record.COLUMNS
    by_title = {row["Title"]: row for row in rows}
    # The factory's proposal, then Ana's, Beto's comment and proposal; not the hidden one.
    assert [row["Kind"] for row in rows] == ["Propuesta", "Propuesta", "Comentario", "Propuesta"]
    assert "Fuera de tema" not in by_title
    lighting = by_title["Más luminarias"]
    assert (lighting["Author"], lighting["Supports"]) == ("Participante 2", "1")
    assert lighting["Response"] == "Incorporada al plan"
    assert lighting["Reasoned Response"] == "La recoge el compromiso 1."
    assert lighting["Commitments"] == "1. Compromiso a"
    comment = rows[2]
    assert (comment["Author"], comment["In Reply To"], comment["Supports"]) == (
        "Participante 3",
        lighting["Reference"],
        "",
    )
    declined = by_title["'" + FORMULA]  # neutralised: a spreadsheet shows it as text
    assert (declined["Author"], declined["Text"]) == ("Participante 3", "'-1+1")
    assert declined["Response"] == "No incorporada"
    assert rows[0]["Response"] == "Pendiente de respuesta"

    sheet = load_workbook(io.BytesIO(downloads["XLSX"])).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    titles = [row[2] for row in cells]
    assert [c.value or "" for c in titles] == [row["Title"].removeprefix("'") for row in rows]
    assert all(c.data_type == "s" for c in titles if c.value)  # FORMULA is text

    document = json.loads(downloads["JSON"])
    assert document["format"] == record.FORMAT
    assert document["participants"] == 3
    contributions = {c["title"]: c for c in document["contributions"]}
    assert contributions["Más luminarias"]["commitments"] == [
        {"code": "1", "title": "Compromiso a"}
    ]
    assert contributions["Más luminarias"]["supports"] == 1
    assert contributions[FORMULA]["outcome"] == "DECLINED"
    assert contributions[FORMULA]["outcomeText"] == declined["Response"]


async def test_the_catalogue_lists_the_record_and_drafts_have_none(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    catalog = (await client.get(f"/open-data/{a.slug}/catalog.jsonld")).json()
    (dataset,) = [
        d for d in catalog["dcat:dataset"] if d["dct:identifier"] == str(a.consultation_id)
    ]
    assert dataset["dct:title"] == "Consulta: registro de aportes y respuestas"
    assert dataset["dct:isPartOf"].endswith(f"/plans/{a.plan_id}")
    urls = {d["dct:format"]: d["dcat:downloadURL"] for d in dataset["dcat:distribution"]}
    assert set(urls) == {"CSV", "XLSX", "JSON"}
    for url in urls.values():
        assert (await client.get(path_of(url))).status_code == 200

    # A draft plan's channel: no record (nor through GraphQL, for the staff who see it).
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    opened = await gql(
        client,
        'mutation($p: ID!) { openChannel(input: {actionPlanId: $p, kind: "consultation", '
        'title: "Borrador", opensAt: "2026-01-01T00:00:00Z", closesAt: "2030-01-01T00:00:00Z"}) '
        "{ channel { id openData { url } } } }",
        {"p": to_global_id("ActionPlan", a.draft_plan_id)},
        token=editor,
    )
    assert error_codes(opened) == [], opened
    channel = opened["data"]["openChannel"]["channel"]
    assert channel["openData"] == []
    _, channel_id = from_global_id(channel["id"], field="id")
    for fmt in ("csv", "json", "xlsx"):
        answer = await client.get(f"/open-data/{a.slug}/channels/{channel_id}.{fmt}")
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    wrong = await client.get(f"/open-data/{a.slug}/channels/{a.consultation_id}.html")
    assert wrong.status_code == 404
    elsewhere = await client.get(f"/open-data/{world.b.slug}/channels/{a.consultation_id}.csv")
    assert elsewhere.status_code == 404
