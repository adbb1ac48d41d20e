"""The authorization matrix: every root field, every type reachable through ``node(id:)`` and
every mutation, for every kind of caller of municipality A, on PostgreSQL and SQLite.

Callers: the anonymous public; A's participant, reviewer, editor and tenant_admin; a consultant
granted A and B; a consultant granted neither; a platform admin. The expectations are written
out here (not derived from ``core.identity.roles``), so a change to the role table shows up as a
failing cell; ``docs/security.md`` shows the same table. Meta-tests make sure no root field,
node type or mutation is left out.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.identity.tokens import TokenService
from graphql_schema.nodes import TENANT_NODES
from graphql_schema.relay import to_global_id
from graphql_schema.schema import build_schema
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import GRANTED_CONSULTANT, World, build_world, error_codes, gql
from tests.graphql.test_audit import MUTATIONS

ROLES = [
    "anonymous",
    "participant",
    "reviewer",
    "editor",
    "tenant_admin",
    "consultant",
    "consultant_not_granted",
    "platform_admin",
]
EVERYONE = set(ROLES) - {"consultant_not_granted"}  # refused at binding, for everything
SIGNED_IN = EVERYONE - {"anonymous"}
EDITORS = {"editor", "tenant_admin", "consultant", "platform_admin"}
ADMINS = {"tenant_admin", "consultant", "platform_admin"}
EVALUATORS = {"reviewer", "tenant_admin", "consultant", "platform_admin"}
PLATFORM = {"platform_admin"}


def call_as(role: str, tokens: TokenService, slug: str) -> dict[str, Any]:
    if role == "anonymous":
        return {"tenant": slug}
    if role == "platform_admin":
        return {"token": tokens.issue(subject="root", role=role, tenant=None), "tenant": slug}
    if role == "consultant":
        token = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)
        return {"token": token, "tenant": slug}
    if role == "consultant_not_granted":
        token = tokens.issue(subject="consultant-elsewhere", role="consultant", tenant=None)
        return {"token": token, "tenant": slug}
    return {"token": tokens.issue(subject=f"{role}-a", role=role, tenant=slug)}


def refusal(role: str) -> str:
    return "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"


# -- mutations ----------------------------------------------------------------------------

MUTATION_ALLOWED: dict[str, set[str]] = {name: EDITORS for name in MUTATIONS} | {
    "createMunicipality": PLATFORM,
    "setMunicipalityStatus": PLATFORM,
    "grantConsultant": PLATFORM,
    "revokeConsultantGrant": PLATFORM,
    "configurePlugin": {"consultant", "platform_admin"},
    "contribute": SIGNED_IN,
    "setNotificationPreferences": SIGNED_IN,
    "startEvaluation": EVALUATORS,
    "rateCriterion": EVALUATORS,
    "publishEvaluation": EVALUATORS,
    "validateAssessment": ADMINS,
    "reopenAssessment": ADMINS,
    "setMembership": ADMINS,
    "removeMembership": ADMINS,
    "createApiClient": ADMINS,
    "revokeApiClient": ADMINS,
    "addIdentityProvider": ADMINS,
    "removeIdentityProvider": ADMINS,
    "retryJob": ADMINS,
    "runMonitoring": ADMINS,
    "registerWebhook": ADMINS,
    "removeWebhook": ADMINS,
    "setPortalOrigins": ADMINS,
    "updateMunicipality": ADMINS,
    "registerPersistedDocuments": ADMINS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_mutation(
    client: Any, world: World, tokens: TokenService, mutation: str, role: str
) -> None:
    document, variables, _, _ = MUTATIONS[mutation]
    result = await gql(client, document, variables(world.a), **call_as(role, tokens, world.a.slug))
    if role in MUTATION_ALLOWED[mutation]:
        assert error_codes(result) == [], result
    else:
        assert error_codes(result) == [refusal(role)]
        assert result["data"] is None


# -- root fields --------------------------------------------------------------------------

ROOT_FIELDS: dict[str, tuple[str, set[str]]] = {
    "actionPlans": ("{ actionPlans(first: 1) { totalCount } }", EVERYONE),
    "actors": ("{ actors(first: 1) { totalCount } }", EVERYONE),
    "assessments": ("{ assessments(first: 1) { totalCount } }", EVERYONE),
    "auditEvents": ("{ auditEvents(first: 1) { totalCount } }", ADMINS),
    "cocreationChecklist": (
        "query($p: ID!) { cocreationChecklist(actionPlanId: $p) { metCount } }",
        EVERYONE,
    ),
    "commitmentKpis": ("query($c: ID!) { commitmentKpis(commitmentId: $c) { code } }", EVERYONE),
    "frameworks": ("{ frameworks { name } }", EVERYONE),
    "instruments": ("{ instruments { name } }", EVERYONE),
    "plugins": ("{ plugins { name enabled } }", EVERYONE),
    "plugins.settings": ("{ plugins { name settings } }", ADMINS),
    "memberships": ("{ memberships(first: 1) { totalCount } }", ADMINS),
    "apiClients": ("{ apiClients(first: 1) { totalCount } }", ADMINS),
    "identityProviders": ("{ identityProviders { issuer } }", ADMINS),
    "consultantGrants": ("{ consultantGrants { person { subject } } }", ADMINS),
    "municipalities": (
        "{ municipalities(first: 1) { totalCount } }",
        {"consultant", "platform_admin"},
    ),
    "portfolio": ("{ portfolio(first: 1) { totalCount } }", {"consultant", "platform_admin"}),
    "jobs": ("{ jobs(first: 1, status: [FAILED]) { totalCount } }", EDITORS),
    "webhooks": ("{ webhooks { url } }", ADMINS),
    "webhookEvents": ("{ webhookEvents }", EVERYONE),
    "municipality": ("{ municipality { slug } }", EVERYONE),
    "node": ("query($p: ID!) { node(id: $p) { id } }", EVERYONE),
    "viewer": ("{ viewer { subject } }", EVERYONE),
    "channelKinds": ("{ channelKinds { name } }", EVERYONE),
    "delayedMilestones": ("{ delayedMilestones(first: 1) { totalCount } }", EVERYONE),
    "notificationPreferences": ("{ notificationPreferences { notify email } }", SIGNED_IN),
}


@pytest.fixture(scope="module")
async def shared_world(db: Database) -> World:
    """One world for the read-only cells (reads change nothing but the audit of bindings)."""
    return await build_world(db)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", sorted(ROOT_FIELDS))
async def test_root_field(
    client: Any, shared_world: World, tokens: TokenService, field: str, role: str
) -> None:
    document, allowed = ROOT_FIELDS[field]
    a = shared_world.a
    variables = {"p": a.gid("ActionPlan"), "c": a.gid("Commitment")}
    used = {k: v for k, v in variables.items() if f"${k}" in document}
    result = await gql(client, document, used, **call_as(role, tokens, a.slug))
    if role in allowed:
        assert error_codes(result) == [], result
    else:
        assert error_codes(result) == [refusal(role)], result


# -- node(id:) ----------------------------------------------------------------------------

#: node type -> (the World key of A's object, who gets it, what the others get)
NODES: dict[str, tuple[str, set[str], str]] = {
    "Municipality": ("Municipality", EVERYONE, "refused"),
    "ActionPlan": ("ActionPlan", EVERYONE, "refused"),
    "Commitment": ("Commitment", EVERYONE, "refused"),
    "Milestone": ("Milestone", EVERYONE, "refused"),
    "ProgressReport": ("ProgressReport", EVERYONE, "refused"),
    "Actor": ("Actor", EVERYONE, "refused"),
    "Assessment": ("Assessment", EVERYONE, "refused"),
    "Channel": ("Channel", EVERYONE, "refused"),
    "Contribution": ("Contribution", EVERYONE, "refused"),
    # A draft evaluation: its evaluators and the staff who see drafts; to the rest it does
    # not exist.
    "Evaluation": ("DraftEvaluation", EVALUATORS | EDITORS, "NOT_FOUND"),
    "AuditEvent": ("AuditEvent", ADMINS, "refused"),
    "Membership": ("Membership", ADMINS, "refused"),
    "ApiClient": ("ApiClient", ADMINS, "refused"),
    "IdentityProvider": ("IdentityProvider", ADMINS, "refused"),
    "Job": ("Job", EDITORS, "refused"),
    "WebhookEndpoint": ("WebhookEndpoint", ADMINS, "refused"),
}


def test_every_root_field_node_type_and_mutation_is_in_the_matrix() -> None:
    schema = build_schema(make_plugin_manager(entrypoints=False))._schema  # no test plugins
    assert schema.query_type is not None and schema.mutation_type is not None
    assert set(schema.query_type.fields) == {f.split(".")[0] for f in ROOT_FIELDS}
    assert set(TENANT_NODES) | {"Municipality"} == set(NODES)
    assert set(schema.mutation_type.fields) == set(MUTATION_ALLOWED)


async def _gid(db: Database, world: World, tenant: str, key: str) -> str:
    t = getattr(world, tenant)
    if key != "AuditEvent":
        return t.gid(key)
    async with db.session(t.binding) as session:
        first = (await session.execute(select(AuditEvent.id).limit(1))).scalar_one()
    return to_global_id("AuditEvent", first)


NODE_QUERY = "query($id: ID!) { node(id: $id) { id __typename } }"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("node_type", sorted(NODES))
async def test_node(
    client: Any, db: Database, shared_world: World, tokens: TokenService, node_type: str, role: str
) -> None:
    key, allowed, otherwise = NODES[node_type]
    who = call_as(role, tokens, shared_world.a.slug)
    own = await gql(client, NODE_QUERY, {"id": await _gid(db, shared_world, "a", key)}, **who)
    if role in allowed:
        assert error_codes(own) == [], own
        assert own["data"]["node"]["__typename"] == node_type
    elif otherwise == "NOT_FOUND" and role != "consultant_not_granted":
        assert error_codes(own) == ["NOT_FOUND"]
    else:
        assert error_codes(own) == [refusal(role)]


@pytest.mark.parametrize(
    ("node_type", "role"),
    [
        (node_type, role)
        for node_type in sorted(NODES)
        for role in ROLES
        if role in NODES[node_type][1]
    ],
)
async def test_foreign_node_is_not_found(
    client: Any, db: Database, shared_world: World, tokens: TokenService, node_type: str, role: str
) -> None:
    """B's object, asked for in A: whoever may see such objects gets NOT_FOUND, as if it did
    not exist (even the consultant granted B, and the platform admin: they are bound to A)."""
    key = NODES[node_type][0]
    who = call_as(role, tokens, shared_world.a.slug)
    foreign = await gql(client, NODE_QUERY, {"id": await _gid(db, shared_world, "b", key)}, **who)
    assert error_codes(foreign) == ["NOT_FOUND"]
    assert foreign["data"] is None or foreign["data"]["node"] is None
