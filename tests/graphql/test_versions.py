"""Published versions: what a municipality published stays what citizens read until an editor
publishes the changes; each publication is a numbered version with its changelog, readable by
number, and exportable. On PostgreSQL (as the restricted role) and SQLite."""

from __future__ import annotations

import csv
import io
from typing import Any

from core.exports import plan as exports
from core.exports.versioned import at_version
from core.identity.tokens import TokenService
from core.municipalities.models import Municipality
from core.plans import versions
from tenants.database import Database
from tests.factories import END, START, World, error_codes, gql

CREATE_PLAN = """mutation($s: Date!, $e: Date!) {
  createActionPlan(input: {title: "Plan 2027", startDate: $s, endDate: $e}) { actionPlan { id } }
}"""
CREATE_COMMITMENT = """mutation($p: ID!, $s: Date!, $e: Date!, $code: String!, $title: String!) {
  createCommitment(input: {actionPlanId: $p, code: $code, title: $title, startDate: $s,
                           endDate: $e, objective: "Publicar datos"}) {
    commitment { id published }
  }
}"""
TRANSITION = """mutation($id: ID!, $to: ActionPlanStatus!) {
  transitionActionPlan(input: {id: $id, to: $to}) { actionPlan { status } }
}"""
UPDATE = """mutation($id: ID!) {
  updateCommitment(input: {id: $id, title: "Datos abiertos de obras", objective: "Publicar cada obra"}) {
    commitment { title pendingChanges { field before after } }
  }
}"""
PUBLISH = """mutation($p: ID!) {
  publishActionPlanChanges(input: {actionPlanId: $p, note: "Ajustes tras la mesa de trabajo"}) {
    version { number note changes { type id label change fields { field before after } } }
  }
}"""
PUBLIC_READ = """query($p: ID!, $c: ID!) {
  plan: node(id: $p) { ... on ActionPlan { commitments(first: 10) { nodes { id code title objective } } } }
  commitment: node(id: $c) { ... on Commitment { title objective pendingChanges { field } } }
}"""
VERSIONS = """query($p: ID!) {
  node(id: $p) { ... on ActionPlan {
    versions { number note }
    first: version(number: 1) { number title commitments { code title objective milestones { title } } changes { type } }
    second: version(number: 2) { number commitments { code title } }
    missing: version(number: 9) { number }
  } }
}"""


async def test_the_public_reads_the_published_version_until_changes_are_published(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    dates = {"s": str(START), "e": str(END)}

    async def ok(document: str, variables: dict[str, Any], **who: Any) -> dict[str, Any]:
        result = await gql(client, document, variables, **who)
        assert error_codes(result) == [], result
        return dict(result["data"])

    plan = (await ok(CREATE_PLAN, dates, token=editor))["createActionPlan"]["actionPlan"]["id"]
    first = await ok(
        CREATE_COMMITMENT,
        {"p": plan, "code": "1", "title": "Datos de obras", **dates},
        token=editor,
    )
    commitment = first["createCommitment"]["commitment"]["id"]
    for to in ("COCREATION", "PUBLISHED"):
        await ok(TRANSITION, {"id": plan, "to": to}, token=editor)

    # An edit after publication waits in the draft: the editor sees it pending, the public not.
    edited = (await ok(UPDATE, {"id": commitment}, token=editor))["updateCommitment"]
    assert edited["commitment"]["title"] == "Datos de obras"
    assert {
        c["field"]: (c["before"], c["after"]) for c in edited["commitment"]["pendingChanges"]
    } == {
        "title": ("Datos de obras", "Datos abiertos de obras"),
        "objective": ("Publicar datos", "Publicar cada obra"),
    }
    added = await ok(
        CREATE_COMMITMENT, {"p": plan, "code": "2", "title": "Presupuesto", **dates}, token=editor
    )
    assert added["createCommitment"]["commitment"]["published"] is False
    public = await ok(PUBLIC_READ, {"p": plan, "c": commitment}, tenant=world.a.slug)
    assert [(c["code"], c["title"]) for c in public["plan"]["commitments"]["nodes"]] == [
        ("1", "Datos de obras")
    ]
    assert public["commitment"] == {
        "title": "Datos de obras",
        "objective": "Publicar datos",
        "pendingChanges": [],
    }

    # Publishing the changes: version 2, with a changelog naming what changed.
    version = (await ok(PUBLISH, {"p": plan}, token=editor))["publishActionPlanChanges"]["version"]
    assert (version["number"], version["note"]) == (2, "Ajustes tras la mesa de trabajo")
    changes = {(c["type"], c["label"], c["change"]): c for c in version["changes"]}
    assert set(changes) == {
        ("Commitment", "1 Datos abiertos de obras", "CHANGED"),
        ("Commitment", "2 Presupuesto", "ADDED"),
    }
    changed = changes[("Commitment", "1 Datos abiertos de obras", "CHANGED")]
    assert changed["id"] == commitment
    assert changed["fields"] == [
        {"field": "title", "before": "Datos de obras", "after": "Datos abiertos de obras"},
        {"field": "objective", "before": "Publicar datos", "after": "Publicar cada obra"},
    ]

    public = await ok(PUBLIC_READ, {"p": plan, "c": commitment}, tenant=world.a.slug)
    assert [(c["code"], c["title"]) for c in public["plan"]["commitments"]["nodes"]] == [
        ("1", "Datos abiertos de obras"),
        ("2", "Presupuesto"),
    ]
    history = (await ok(VERSIONS, {"p": plan}, tenant=world.a.slug))["node"]
    assert history["versions"] == [
        {"number": 1, "note": ""},
        {"number": 2, "note": "Ajustes tras la mesa de trabajo"},
    ]
    assert history["first"] == {
        "number": 1,
        "title": "Plan 2027",
        "commitments": [
            {
                "code": "1",
                "title": "Datos de obras",
                "objective": "Publicar datos",
                "milestones": [],
            }
        ],
        "changes": [],
    }
    assert [c["title"] for c in history["second"]["commitments"]] == [
        "Datos abiertos de obras",
        "Presupuesto",
    ]
    assert history["missing"] is None

    # Nothing left to publish: refused, and no version 3.
    again = await gql(client, PUBLISH, {"p": plan}, token=editor)
    assert error_codes(again) == ["CONFLICT"]
    history = (await ok(VERSIONS, {"p": plan}, tenant=world.a.slug))["node"]
    assert len(history["versions"]) == 2


async def test_the_plan_s_own_text_and_milestones_wait_for_publication_too(
    client: Any, world: World, tokens: TokenService
) -> None:
    """The world's plan is published: its summary and a milestone's title are drafts until
    published; the audit trail shows the draft's values."""
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    plan, milestone = world.a.gid("ActionPlan"), world.a.gid("Milestone")
    changed = await gql(
        client,
        """mutation($p: ID!, $m: ID!) {
          updateActionPlan(input: {id: $p, summary: "Resumen nuevo"}) { actionPlan { summary pendingChanges { field after } } }
          updateMilestone(input: {id: $m, title: "Portal publicado"}) { milestone { title pendingChanges { field after } } }
        }""",
        {"p": plan, "m": milestone},
        token=editor,
    )
    assert error_codes(changed) == [], changed
    assert changed["data"]["updateActionPlan"]["actionPlan"]["pendingChanges"] == [
        {"field": "summary", "after": "Resumen nuevo"}
    ]
    read = """query($p: ID!, $m: ID!) {
      plan: node(id: $p) { ... on ActionPlan { summary } }
      milestone: node(id: $m) { ... on Milestone { title } }
    }"""
    before = await gql(client, read, {"p": plan, "m": milestone}, tenant=world.a.slug)
    assert before["data"]["plan"]["summary"] == ""
    assert before["data"]["milestone"]["title"] != "Portal publicado"
    published = await gql(client, PUBLISH, {"p": plan}, token=editor)
    assert error_codes(published) == [], published
    kinds = {
        (c["type"], tuple(f["field"] for f in c["fields"]))
        for c in published["data"]["publishActionPlanChanges"]["version"]["changes"]
    }
    assert kinds == {("ActionPlan", ("summary",)), ("Milestone", ("title",))}
    after = await gql(client, read, {"p": plan, "m": milestone}, tenant=world.a.slug)
    assert after["data"] == {
        "plan": {"summary": "Resumen nuevo"},
        "milestone": {"title": "Portal publicado"},
    }
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=world.a.slug)
    trail = await gql(
        client, "{ auditEvents(first: 20) { nodes { action before after } } }", token=admin
    )
    event = next(
        e for e in trail["data"]["auditEvents"]["nodes"] if e["action"] == "action_plan.update"
    )
    assert (event["before"]["summary"], event["after"]["summary"]) == ("", "Resumen nuevo")


async def test_a_missing_version_is_refused_by_name(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    result = await gql(
        client,
        "mutation($p: ID!) { exportActionPlan(input: {actionPlanId: $p, format: CSV, version: 7}) { job { id } } }",
        {"p": world.a.gid("ActionPlan")},
        token=editor,
    )
    assert error_codes(result) == ["NOT_FOUND"]
    assert result["errors"][0]["extensions"]["field"] == "version"
    draft = await gql(
        client,
        "mutation($p: ID!) { publishActionPlanChanges(input: {actionPlanId: $p}) { version { number } } }",
        {"p": world.a.gid("DraftActionPlan")},
        token=editor,
    )
    assert error_codes(draft) == ["CONFLICT"]


async def test_an_export_of_a_version_is_the_plan_as_that_version_published_it(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    result = await gql(
        client,
        f"""mutation($c: ID!, $p: ID!) {{
          updateCommitment(input: {{id: $c, title: "Título nuevo"}}) {{ commitment {{ id }} }}
          {PUBLISH.removeprefix("mutation($p: ID!) {")}""",
        {"c": world.a.gid("Commitment"), "p": world.a.gid("ActionPlan")},
        token=editor,
    )
    assert error_codes(result) == [], result

    async def csv_of(number: int | None) -> tuple[str, list[dict[str, str]]]:
        async with db.session(world.a.binding) as session:
            municipality = await session.get(Municipality, world.a.municipality.id)
            assert municipality is not None
            data = await exports.load(session, municipality, world.a.plan_id)
            if number is not None:
                data = at_version(data, await versions.by_number(session, world.a.plan_id, number))
            content = exports.to_csv(data)
            assert not session.dirty and not session.new  # the live rows untouched
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
        return exports.filename(data, "csv"), rows

    name, first = await csv_of(1)
    assert name.endswith("-v1.csv")
    assert [r["Commitment Title"] for r in first] == ["Compromiso a"]
    assert (first[0]["Progress"], first[0]["Status"]) == ("30.00", "En curso")  # live progress
    _, second = await csv_of(2)
    _, now = await csv_of(None)
    assert [r["Commitment Title"] for r in second] == ["Título nuevo"]
    assert second == now
