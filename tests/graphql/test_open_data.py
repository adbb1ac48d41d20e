"""The open-data catalogue a harvester reads (DCAT in JSON-LD) and the plan files it points at,
at stable public addresses (PostgreSQL and SQLite)."""

from __future__ import annotations

import csv
import io
import json

import httpx

from core.exports import plan as exports
from tests.factories import World


async def test_the_catalogue_lists_public_plans_with_their_distributions(
    client: httpx.AsyncClient, world: World
) -> None:
    a = world.a
    answer = await client.get(f"/open-data/{a.slug}/catalog.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    catalog = answer.json()
    assert catalog["@type"] == "dcat:Catalog"
    assert catalog["dct:publisher"]["foaf:name"] == a.municipality.name
    plans = [d for d in catalog["dcat:dataset"] if "/plans/" in d["@id"]]
    (dataset,) = plans  # the public plan; not the draft
    assert dataset["dct:identifier"] == str(a.plan_id)
    assert dataset["dct:title"] == "Plan a"
    assert dataset["dct:license"].startswith("https://creativecommons.org/licenses/by/")
    assert dataset["dct:modified"] >= dataset["dct:issued"][:10]
    distributions = dataset["dcat:distribution"]
    formats = {
        d["dct:format"]: d["dcat:downloadURL"]
        for d in distributions
        if not d["dcat:downloadURL"].endswith("?dialect=excel")
    }
    assert set(formats) == {"CSV", "XLSX", "JSON", "HTML"}
    # The CSV again as a Spanish Excel opens it: ; between columns, decimal commas.
    (excel,) = [d for d in distributions if d["dcat:downloadURL"].endswith("?dialect=excel")]
    assert excel["dct:format"] == "CSV" and excel["dct:title"].endswith("(CSV, Excel)")
    spanish = await client.get(excel["dcat:downloadURL"].removeprefix("http://testserver"))
    header, row = spanish.content.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("Commitment Unique Identifier;Country/Locality;")
    assert ";30,00;" in row
    bad = await client.get(formats["CSV"].removeprefix("http://testserver") + "?dialect=lotus")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"] | {"message": None} == {
        "code": "BAD_USER_INPUT",
        "field": "dialect",
        "message": None,
    }

    csv_file = await client.get(formats["CSV"].removeprefix("http://testserver"))
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert list(rows[0]) == exports.CSV_COLUMNS
    document = json.loads(
        (await client.get(formats["JSON"].removeprefix("http://testserver"))).content
    )
    assert document["actionPlan"]["id"] == str(a.plan_id)
    # The JSON says what the CSV says, in the same words (completion known from progress).
    (commitment,) = document["commitments"]
    ogp = {k: str(v) for k, v in commitment["ogpDataset"].items()}
    assert ogp == {k: rows[0][k] for k in exports.OGP_COLUMNS}
    assert ogp["Completion"] == rows[0]["Completion"] != ""
    assert commitment["completionLevel"] == "LIMITED"


async def test_drafts_and_other_municipalities_plans_are_not_served(
    client: httpx.AsyncClient, world: World
) -> None:
    a, b = world.a, world.b
    for path in (
        f"/open-data/{a.slug}/plans/{a.draft_plan_id}.csv",  # a draft
        f"/open-data/{a.slug}/plans/{b.plan_id}.csv",  # B's plan under A's name
        f"/open-data/{a.slug}/plans/{a.plan_id}.exe",
        f"/open-data/{a.slug}/plans/not-an-id.csv",
        "/open-data/no-such-town/catalog.jsonld",
    ):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "TENANT_UNKNOWN")
    assert (await client.get(f"/open-data/{b.slug}/plans/{b.plan_id}.csv")).status_code == 200
