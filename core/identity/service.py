"""People, memberships, consultants' grants, API clients and trusted identity providers.

Tenant-owned rows (memberships, clients, providers) are written in a session bound to the
municipality; people and grants are platform rows, looked up by the caller's identity.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.egress import check_public_url
from core.errors import BadUserInput, Conflict, NotFound
from core.i18n import msg
from core.identity.models import (
    ApiClient,
    ConsultantGrant,
    IdentityProvider,
    Membership,
    Person,
)
from core.identity.principal import Principal
from core.identity.roles import MUNICIPAL_ROLES, Role
from core.municipalities.models import Municipality
from core.settings import Settings

SCOPES = ("read", "write")
T = TypeVar("T", Membership, IdentityProvider)


def hash_secret(secret: str) -> str:
    """SHA-256 of a client secret. Secrets are 256 random bits, so a fast hash is the right
    tool (a slow password hash protects low-entropy human passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(client: ApiClient, secret: str) -> bool:
    return hmac.compare_digest(client.secret_hash, hash_secret(secret))


def municipal_role(value: Role | str | None, *, field: str, optional: bool = False) -> Role | None:
    if value is None and optional:
        return None
    try:
        role = Role(str(value))
    except ValueError:
        role = None
    if role not in MUNICIPAL_ROLES:
        raise BadUserInput(
            msg(
                f"'{value}' is not a municipal role (tenant_admin, editor, reviewer, participant).",
                f"'{value}' no es un rol municipal (tenant_admin, editor, reviewer, participant).",
                f"'{value}' não é um papel municipal "
                "(tenant_admin, editor, reviewer, participant).",
            ),
            field=field,
        )
    return role


# -- people -------------------------------------------------------------------------------


async def find_person(session: AsyncSession, issuer: str, subject: str) -> Person | None:
    result = await session.execute(
        select(Person).where(Person.issuer == issuer, Person.subject == subject)
    )
    return result.scalar_one_or_none()


async def person_for(
    session: AsyncSession,
    issuer: str,
    subject: str | None,
    *,
    email: str | None = None,
    name: str | None = None,
) -> Person:
    """The person with this identity, created on first sight. Without a subject, the person
    the issuer knows by that e-mail (or an invitation, claimed at their first sign-in)."""
    issuer = v.text("issuer", issuer, max_length=500)
    if subject is None or not subject.strip():
        return await _person_by_email(session, issuer, email, name)
    subject = v.text("subject", subject, max_length=255)
    person = await find_person(session, issuer, subject)
    if person is None:
        person = Person(issuer=issuer, subject=subject)
        session.add(person)
    if email is not None:
        person.email = v.email("email", email)
    if name is not None:
        person.name = v.optional_text("name", name, max_length=200)
    await session.flush()
    return person


async def _person_by_email(
    session: AsyncSession, issuer: str, email: str | None, name: str | None
) -> Person:
    checked = v.email("email", email)
    if checked is None:
        raise BadUserInput(
            msg(
                "Give the person's subject at the provider, or their e-mail to invite them.",
                "Indique el sujeto de la persona en el proveedor, o su correo para invitarla.",
                "Indique o sujeito da pessoa no provedor, ou o seu e-mail para convidá-la.",
            ),
            field="subject",
        )
    result = await session.execute(
        select(Person)
        .where(Person.issuer == issuer, func.lower(Person.email) == checked.lower())
        .order_by(Person.subject.is_(None), Person.created_at)
    )
    person = result.scalars().first()
    if person is None:
        person = Person(issuer=issuer, subject=None, email=checked)
        session.add(person)
    if name is not None:
        person.name = v.optional_text("name", name, max_length=200)
    await session.flush()
    return person


async def claim_invitation(
    session: AsyncSession, issuer: str, subject: str, email: str
) -> Person | None:
    """At a first sign-in: the invitation (a person with this issuer and e-mail but no subject
    yet) becomes this person."""
    result = await session.execute(
        select(Person)
        .where(
            Person.issuer == issuer,
            Person.subject.is_(None),
            func.lower(Person.email) == email.lower(),
        )
        .order_by(Person.created_at)
        .with_for_update()
    )
    invited = result.scalars().first()
    if invited is not None:
        invited.subject = subject
        await session.flush()
    return invited


# -- memberships ----------------------------------------------------------------------------


async def set_membership(
    session: AsyncSession,
    by: Principal,
    *,
    issuer: str,
    subject: str | None,
    role: Role | str,
    email: str | None = None,
    name: str | None = None,
) -> Membership:
    """Give a person a role in the bound municipality (or change it)."""
    checked = municipal_role(role, field="role")
    person = await person_for(session, issuer, subject, email=email, name=name)
    result = await session.execute(select(Membership).where(Membership.person_id == person.id))
    row = result.scalar_one_or_none()
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = Membership(person_id=person.id, role=checked, created_by=by.subject)
        session.add(row)
    else:
        row.role = checked  # type: ignore[assignment]
    await session.flush()
    audit.record(session, by, "membership.set", row, before=before)
    return row


async def _delete_audited(
    session: AsyncSession, by: Principal, model: type[T], id_: uuid.UUID, action: str
) -> T:
    row = await lookups.get(session, model, id_, field="id")
    before = audit.snapshot(row)
    await session.delete(row)
    await session.flush()
    audit.record(session, by, action, row, before=before, after={})
    return row


async def remove_membership(
    session: AsyncSession, by: Principal, membership_id: uuid.UUID
) -> Membership:
    return await _delete_audited(session, by, Membership, membership_id, "membership.remove")


async def membership_role(session: AsyncSession, person_id: uuid.UUID) -> Role | None:
    """The person's role in the bound municipality, if they are a member."""
    result = await session.execute(select(Membership.role).where(Membership.person_id == person_id))
    return result.scalar_one_or_none()


# -- the consultancy's grants ---------------------------------------------------------------


async def grant_consultant(
    session: AsyncSession,
    by: Principal,
    municipality_id: uuid.UUID,
    *,
    issuer: str,
    subject: str,
    email: str | None = None,
    name: str | None = None,
) -> ConsultantGrant:
    """Let a consultant act in a municipality (making the person a consultant if needed)."""
    person = await person_for(session, issuer, subject, email=email, name=name)
    if person.staff_role is Role.PLATFORM_ADMIN:
        raise Conflict(
            msg(
                "A platform admin already acts everywhere.",
                "Un platform_admin ya actúa en todos los municipios.",
                "Um platform_admin já atua em todos os municípios.",
            ),
            field="subject",
        )
    person.staff_role = Role.CONSULTANT
    result = await session.execute(
        select(ConsultantGrant).where(
            ConsultantGrant.person_id == person.id,
            ConsultantGrant.municipality_id == municipality_id,
        )
    )
    grant = result.scalar_one_or_none()
    if grant is None:
        grant = ConsultantGrant(
            person_id=person.id,
            municipality_id=municipality_id,
            granted_by=by.subject,
            created_at=datetime.now(UTC),
        )
        session.add(grant)
        await session.flush()
        audit.record(session, by, "consultant.grant", grant, tenant_id=municipality_id)
    return grant


async def revoke_consultant_grant(
    session: AsyncSession, by: Principal, grant_id: uuid.UUID, municipality_id: uuid.UUID
) -> ConsultantGrant:
    grant = await session.get(ConsultantGrant, grant_id)
    if grant is None or grant.municipality_id != municipality_id:
        raise NotFound(
            msg(
                "No such grant here.",
                "No existe ese permiso aquí.",
                "Essa permissão não existe aqui.",
            ),
            field="id",
        )
    before = audit.snapshot(grant)
    await session.delete(grant)
    await session.flush()
    audit.record(
        session,
        by,
        "consultant.revoke",
        grant,
        before=before,
        after={},
        tenant_id=municipality_id,
    )
    return grant


async def is_granted(
    session: AsyncSession, person_id: uuid.UUID, municipality_id: uuid.UUID
) -> bool:
    result = await session.execute(
        select(ConsultantGrant.id).where(
            ConsultantGrant.person_id == person_id,
            ConsultantGrant.municipality_id == municipality_id,
        )
    )
    return result.first() is not None


async def granted_slugs(session: AsyncSession, issuer: str, subject: str) -> list[str]:
    """The slugs of the municipalities granted to a consultant, alphabetically."""
    result = await session.execute(
        select(Municipality.slug)
        .join(ConsultantGrant, ConsultantGrant.municipality_id == Municipality.id)
        .join(Person, Person.id == ConsultantGrant.person_id)
        .where(Person.issuer == issuer, Person.subject == subject)
        .order_by(Municipality.slug)
    )
    return list(result.scalars())


async def grants(
    session: AsyncSession, municipality_id: uuid.UUID
) -> list[tuple[ConsultantGrant, Person]]:
    result = await session.execute(
        select(ConsultantGrant, Person)
        .join(Person, Person.id == ConsultantGrant.person_id)
        .where(ConsultantGrant.municipality_id == municipality_id)
        .order_by(ConsultantGrant.created_at)
    )
    return [(grant, person) for grant, person in result.all()]


# -- API clients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewClient:
    row: ApiClient
    #: Shown once, at creation; only its hash is stored.
    secret: str


def _scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise BadUserInput(
            msg(
                f"Scopes are 'read' and 'write' (got {unknown or 'none'}).",
                f"Los alcances son 'read' y 'write' (recibido {unknown or 'ninguno'}).",
                f"Os escopos são 'read' e 'write' (recebido {unknown or 'nenhum'}).",
            ),
            field="scopes",
        )
    return [s for s in SCOPES if s in scopes]


def client_snapshot(row: ApiClient) -> dict[str, Any]:
    data = audit.snapshot(row)
    data.pop("secret_hash", None)
    return data


async def create_client(
    session: AsyncSession,
    by: Principal,
    slug: str,
    *,
    name: str,
    role: Role | str | None,
    scopes: list[str],
) -> NewClient:
    secret = secrets.token_urlsafe(32)
    row = ApiClient(
        client_id=f"{slug}.{secrets.token_urlsafe(12)}",
        name=v.text("name", name, max_length=200),
        role=municipal_role(role, field="role", optional=True),
        scopes=_scopes(scopes),
        secret_hash=hash_secret(secret),
        created_by=by.subject,
    )
    session.add(row)
    await session.flush()
    audit.record(session, by, "api_client.create", row, after=client_snapshot(row))
    return NewClient(row=row, secret=secret)


async def revoke_client(session: AsyncSession, by: Principal, client_id: uuid.UUID) -> ApiClient:
    row = await lookups.get(session, ApiClient, client_id, field="id")
    if row.revoked_at is None:
        before = client_snapshot(row)
        row.revoked_at = datetime.now(UTC)
        await session.flush()
        audit.record(
            session, by, "api_client.revoke", row, before=before, after=client_snapshot(row)
        )
    return row


async def find_client(session: AsyncSession, client_id: str) -> ApiClient | None:
    result = await session.execute(select(ApiClient).where(ApiClient.client_id == client_id))
    return result.scalar_one_or_none()


def slug_of_client_id(client_id: str) -> str | None:
    slug, dot, rest = client_id.partition(".")
    return slug if dot and slug and rest else None


# -- identity providers ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderData:
    name: str
    issuer: str
    audience: str
    email_claim: str = "email"
    roles_claim: str = "roles"
    role_mapping: dict[str, str] | None = None
    default_role: Role | str | None = Role.PARTICIPANT


async def add_provider(
    session: AsyncSession, by: Principal, data: ProviderData, *, settings: Settings | None = None
) -> IdentityProvider:
    """Trust a provider. With ``settings`` (every caller acting for a person), an issuer the
    platform would refuse to call (``core/egress.py``: loopback, private, link-local, ...) is
    ``BAD_USER_INPUT``: its discovery document would be fetched from there."""
    issuer = v.url("issuer", v.text("issuer", data.issuer, max_length=500))
    assert issuer is not None  # v.text refused an empty one
    if settings is not None:
        await check_public_url(settings, "issuer", issuer)
    mapping = {}
    for external, role in (data.role_mapping or {}).items():
        mapping[v.text("roleMapping", external, max_length=200)] = municipal_role(
            role, field="roleMapping"
        )
    existing = await session.execute(
        select(IdentityProvider.id).where(IdentityProvider.issuer == issuer)
    )
    if existing.first() is not None:
        raise Conflict(
            msg(
                "This municipality already trusts that issuer.",
                "Este municipio ya confía en ese emisor.",
                "Este município já confia nesse emissor.",
            ),
            field="issuer",
        )
    row = IdentityProvider(
        name=v.text("name", data.name, max_length=200),
        issuer=issuer,
        audience=v.text("audience", data.audience, max_length=500),
        email_claim=v.text("emailClaim", data.email_claim, max_length=100),
        roles_claim=v.text("rolesClaim", data.roles_claim, max_length=100),
        role_mapping={k: str(r) for k, r in mapping.items()},
        default_role=municipal_role(data.default_role, field="defaultRole", optional=True),
        created_by=by.subject,
    )
    session.add(row)
    await session.flush()
    audit.record(session, by, "identity_provider.add", row)
    return row


async def remove_provider(
    session: AsyncSession, by: Principal, provider_id: uuid.UUID
) -> IdentityProvider:
    return await _delete_audited(
        session, by, IdentityProvider, provider_id, "identity_provider.remove"
    )


async def find_provider(session: AsyncSession, issuer: str) -> IdentityProvider | None:
    result = await session.execute(
        select(IdentityProvider).where(IdentityProvider.issuer == issuer)
    )
    return result.scalar_one_or_none()


_RANK = [Role.PARTICIPANT, Role.REVIEWER, Role.EDITOR, Role.TENANT_ADMIN]


def mapped_role(provider: IdentityProvider, claims: dict[str, Any]) -> Role | None:
    """The highest municipal role the provider's roles claim maps to."""
    value = claims.get(provider.roles_claim)
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = {
        Role(provider.role_mapping[n])
        for n in names
        if isinstance(n, str) and n in provider.role_mapping
    }
    ranked = [r for r in _RANK if r in roles]
    return ranked[-1] if ranked else None
