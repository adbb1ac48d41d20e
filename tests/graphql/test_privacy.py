"""Privacy by construction: nothing the anonymous public can read names a staff account, an
e-mail address or a participant's account (PostgreSQL and SQLite).

The walk is built from the schema itself: every field the anonymous role may read according to
the permission table (``requires(...)`` on the field), from every root field and from
``node(id:)`` on every kind of object, over a municipality whose staff signed in with e-mail
addresses as subjects and did every kind of work: reported progress with a link and an uploaded
file, answered and validated a diagnostic, answered a proposal, recorded a meeting, published
the plan's changes and an evaluation. The public exports (the open-data catalogue and every
distribution it lists) are read the same way. A second test walks as an editor, who may read
who reported what, and shows the walk and the search would catch it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    is_non_null_type,
)
from graphql import build_schema as schema_from_sdl
from graphql.pyutils import Undefined

from core.identity.principal import ANONYMOUS, Principal
from core.identity.roles import Role
from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from graphql_schema.nodes import TENANT_NODES
from graphql_schema.relay import to_global_id
from graphql_schema.schema import build_schema
from tenants.database import Database
from tests.factories import UploadFile, World, error_codes, gql

EDITOR = "editora.gomez@rioclaro.gob.ar"
ADMIN = "admin@rioclaro.gob.ar"
REVIEWER = "evaluador@consultora.example"
PARTICIPANT = "vecina.perez@correo.example"
#: What must never reach the public: the staff's and the participant's account subjects.
SECRETS = (EDITOR, ADMIN, REVIEWER, PARTICIPANT, "@rioclaro.gob.ar", "@correo.example")

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
#: How deep the walk goes below a root field (a type never repeats on one path).
DEPTH = 7


@dataclass
class Walk:
    sdl: GraphQLSchema
    strawberry: Any
    principal: Principal
    #: Values for required arguments, by name (a plan's ID, a version's number...).
    known: dict[str, str]

    def readable(self, type_name: str, field_name: str) -> bool:
        """What the permission table lets the walker's principal read."""
        definition = self.strawberry.get_type_by_name(type_name)
        if definition is None or not hasattr(definition, "fields"):
            return True
        converter = self.strawberry.config.name_converter
        for field in definition.fields:
            if converter.get_graphql_name(field) == field_name:
                needs = [getattr(p, "needs", None) for p in field.permission_classes]
                return all(n is None or self.principal.can(n) for n in needs)
        return True

    def arguments(self, field: GraphQLField) -> str | None:
        """The field's required arguments from ``known``; None if one is not known."""
        given = []
        for name, arg in field.args.items():
            if is_non_null_type(arg.type) and arg.default_value is Undefined:
                if name not in self.known:
                    return None
                given.append(f"{name}: {self.known[name]}")
        return f"({', '.join(given)})" if given else ""

    def selection(self, type_: GraphQLNamedType, path: frozenset[str], prefix: str = "") -> str:
        if is_abstract_type(type_):
            # Each kind's fields under their own aliases: same names, different types.
            fragments = [
                f"... on {possible.name} {inner}"
                for possible in self.sdl.get_possible_types(type_)
                if (inner := self.selection(possible, path | {possible.name}, possible.name))
            ]
            return "{ __typename " + " ".join(fragments) + " }"
        assert isinstance(type_, GraphQLObjectType)
        parts = ["__typename"]
        for name, field in type_.fields.items():
            arguments = self.arguments(field)
            if not self.readable(type_.name, name) or arguments is None:
                continue
            alias = f"{prefix}_{name}: " if prefix else ""
            target = get_named_type(field.type)
            if not is_composite_type(target):
                parts.append(f"{alias}{name}{arguments}")
                continue
            if len(path) >= DEPTH or target.name in path:
                continue
            inner = self.selection(target, path | {target.name})
            parts.append(f"{alias}{name}{arguments} {inner}")
        return "{ " + " ".join(parts) + " }"

    def root_documents(self) -> list[str]:
        query = self.sdl.query_type
        assert query is not None
        documents = []
        for name, field in query.fields.items():
            arguments = self.arguments(field)
            if not self.readable(query.name, name) or arguments is None:
                continue
            target = get_named_type(field.type)
            inner = ""
            if is_composite_type(target):
                inner = self.selection(target, frozenset({target.name}))
            documents.append(f"query {{ {name}{arguments} {inner} }}")
        return documents

    def node_document(self) -> str:
        node = self.sdl.get_type("Node")
        assert node is not None
        return f"query($id: ID!) {{ node(id: $id) {self.selection(node, frozenset({'Node'}))} }}"


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


@pytest.fixture
async def walk_client(db: Database, walk_settings: Settings) -> Any:
    application = create_app(walk_settings, db=db)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await application.state.oidc.close()


async def staff_at_work(client: httpx.AsyncClient, world: World, tokens: TokenService) -> None:
    """Every kind of work a municipality's staff and a participant do, as people whose
    accounts are e-mail addresses."""
    a = world.a
    editor = tokens.issue(subject=EDITOR, role="editor", tenant=a.slug)
    admin = tokens.issue(subject=ADMIN, role="tenant_admin", tenant=a.slug)
    reviewer = tokens.issue(subject=REVIEWER, role="reviewer", tenant=a.slug)
    participant = tokens.issue(
        subject=PARTICIPANT, role="participant", tenant=a.slug, extra={"name": "Ana Pérez"}
    )

    async def ok(token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        answer = await gql(client, query, variables, token=token)
        assert error_codes(answer) == [], answer
        return answer["data"]

    uploaded = await ok(
        editor,
        "mutation($m: ID!, $f: Upload!) { uploadEvidence(input: {milestoneId: $m, file: $f}) "
        "{ evidenceFile { id } } }",
        {"m": a.gid("Milestone"), "f": UploadFile("acta.pdf", PDF, "application/pdf")},
    )
    await ok(
        editor,
        "mutation($m: ID!, $f: ID!) { reportProgress(input: {milestoneId: $m, percent: 60, "
        'narrative: "Ordenanza aprobada", evidence: [{fileId: $f, title: "Acta"}, '
        '{url: "https://a.example/acta"}]}) { report { id } } }',
        {"m": a.gid("Milestone"), "f": uploaded["uploadEvidence"]["evidenceFile"]["id"]},
    )
    started = await ok(
        admin,
        'mutation { startAssessment(input: {instrument: "transparency_index", '
        'title: "Diagnóstico 2026", assessedOn: "2026-03-01"}) { assessment { id } } }',
    )
    assessment = started["startAssessment"]["assessment"]["id"]
    await ok(
        editor,
        "mutation($a: ID!) { answerIndicators(input: {assessmentId: $a, answers: ["
        '{indicator: "A1", answer: "YES", evidenceUrl: "https://a.example/ley", '
        'comment: "Publicado"}, {indicator: "A2", answer: "PARTIAL"}]}) { assessment { id } } }',
        {"a": assessment},
    )
    await ok(
        admin,
        "mutation($a: ID!) { submitAssessment(input: {id: $a}) { assessment { id } } }",
        {"a": assessment},
    )
    await ok(
        admin,
        "mutation($a: ID!) { validateAssessment(input: {id: $a}) { assessment { id } } }",
        {"a": assessment},
    )
    contributed = await ok(
        participant,
        "mutation($c: ID!) { contribute(input: {channelId: $c, kind: PROPOSAL, "
        'title: "Presupuesto abierto", body: "Publicar el presupuesto."}) '
        "{ contribution { id } } }",
        {"c": a.gid("Channel")},
    )
    proposal = contributed["contribute"]["contribution"]["id"]
    await ok(
        editor,
        "mutation($p: ID!, $c: ID!) { respondToContribution(input: {id: $p, outcome: ACCEPTED, "
        'response: "Incluida en el compromiso 1.", commitmentIds: [$c]}) { contribution { id } } }',
        {"p": proposal, "c": a.gid("Commitment")},
    )
    await ok(
        editor,
        'mutation($c: ID!, $a: ID!) { recordMeeting(input: {channelId: $c, heldOn: "2026-03-02", '
        'agenda: "Prioridades", minutes: "Se acordaron tres prioridades.", attendeeIds: [$a]}) '
        "{ contribution { id } } }",
        {"c": to_global_id("Channel", a.forum_id), "a": a.gid("Actor")},
    )
    await ok(
        editor,
        'mutation($c: ID!) { updateCommitment(input: {id: $c, title: "Compras abiertas"}) '
        "{ commitment { id } } }",
        {"c": a.gid("Commitment")},
    )
    await ok(
        editor,
        "mutation($p: ID!) { publishActionPlanChanges(input: {actionPlanId: $p, "
        'note: "Avance de marzo"}) { actionPlan { id } } }',
        {"p": a.gid("ActionPlan")},
    )
    await ok(
        reviewer,
        "mutation($e: ID!) { publishEvaluation(input: {id: $e}) { evaluation { id } } }",
        {"e": a.gid("DraftEvaluation")},
    )
    started = await ok(
        reviewer,
        'mutation($p: ID!) { startEvaluation(input: {framework: "ogp_irm", actionPlanId: $p}) '
        "{ evaluation { id } } }",
        {"p": a.gid("ActionPlan")},
    )
    await ok(
        reviewer,
        "mutation($e: ID!) { publishEvaluation(input: {id: $e}) { evaluation { id } } }",
        {"e": started["startEvaluation"]["evaluation"]["id"]},
    )


async def walk_as(
    client: httpx.AsyncClient, world: World, walk: Walk, token: str | None
) -> tuple[str, int]:
    """Every readable field, as one query per root field and one ``node`` per object kind;
    returns the answers' text and how many values were read."""
    a = world.a
    answers: list[Any] = []
    for document in walk.root_documents():
        answers.append(await gql(client, document, tenant=a.slug, token=token))
    node = walk.node_document()
    for kind in TENANT_NODES:
        gid = _gid_of(world, kind)
        if gid is not None:
            answers.append(await gql(client, node, {"id": gid}, tenant=a.slug, token=token))
    for answer in answers:
        unexpected = set(error_codes(answer)) - {
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "NOT_FOUND",
            "PLUGIN_DISABLED",
        }
        assert not unexpected, answer["errors"][:3]
    return json.dumps(answers, ensure_ascii=False), _values(answers)


def where(value: Any, path: str = "") -> list[str]:
    """The paths of the values that leak, to say which field did."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in where(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in where(v, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and leaks(value) else []


def _gid_of(world: World, kind: str) -> str | None:
    try:
        return world.a.gid(kind)
    except KeyError:
        return None


def _values(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_values(v) for v in value.values())
    if isinstance(value, list):
        return sum(_values(v) for v in value)
    return 0 if value is None else 1


def _walk(principal: Principal, world: World) -> Walk:
    strawberry_schema = build_schema()
    known = {
        "actionPlanId": f'"{world.a.gid("ActionPlan")}"',
        "commitmentId": f'"{world.a.gid("Commitment")}"',
        "number": "1",
    }
    return Walk(schema_from_sdl(strawberry_schema.as_str()), strawberry_schema, principal, known)


async def test_nothing_the_public_reads_names_a_staff_account_or_an_email(
    walk_client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    await staff_at_work(walk_client, world, tokens)
    text, values = await walk_as(walk_client, world, _walk(ANONYMOUS, world), token=None)
    assert values > 500, values  # the walk read the whole public world, not a refusal
    for what in ("Presupuesto abierto", "Incluida en el compromiso 1.", "Acta", "Ana Pérez"):
        assert what in text, what  # the staff's and the participant's work is public...
    assert leaks(text) == [], sorted(
        {re.sub(r"\[\d+\]", "[]", p) for p in where(json.loads(text))}
    )  # ...but not who they are

    a = world.a
    catalog = await walk_client.get(f"/open-data/{a.slug}/catalog.jsonld")
    assert catalog.status_code == 200
    exports = [catalog.text]
    for dataset in catalog.json()["dcat:dataset"]:
        for distribution in dataset["dcat:distribution"]:
            url = distribution["dcat:downloadURL"].removeprefix("http://testserver")
            for locale in ("es", "en", "pt"):
                answer = await walk_client.get(url, headers={"Accept-Language": locale})
                assert answer.status_code == 200, url
                exports.append(_readable(answer))
    assert any("Ordenanza aprobada" in text for text in exports)
    assert [leaks(text) for text in exports if leaks(text)] == []


async def test_the_walk_catches_a_staff_account_where_a_role_may_read_it(
    walk_client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    """The same walk as an editor, who may read who reported what: it must find the editor's
    e-mail, or the test above proves nothing."""
    await staff_at_work(walk_client, world, tokens)
    reader = Principal(subject="lector", role=Role.EDITOR, tenant=world.a.slug)
    token = tokens.issue(subject="lector", role="editor", tenant=world.a.slug)
    text, _ = await walk_as(walk_client, world, _walk(reader, world), token=token)
    assert EDITOR in leaks(text)
    assert '"authorSubject": "' + EDITOR in text


def _readable(answer: httpx.Response) -> str:
    """An export's text: an XLSX's shared strings and sheets, anything else as text."""
    if answer.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            return "".join(
                archive.read(name).decode("utf-8")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    return answer.content.decode("utf-8-sig")
