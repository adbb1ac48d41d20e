"""Who is calling, and in which municipality: the one authentication step of every request
(called by ``graphql_schema/authentication.py``, in front of every endpoint).

Which municipality: the ``X-Tenant`` header, the host name ``<slug>.<base domain>``, and the
token's ``tenant`` claim; those given must agree. A platform admin's token names no
municipality; the admin acts inside one only by naming it (header or host), and that is
audited (``platform.bind``).

A bearer token is routed by its (unverified) ``iss``:

- the built-in issuer: an operator's token (its role is in it) or an API client's token (its
  role and scopes come from the client's row, so revocation applies at once);
- any other issuer: it must be a provider trusted by the municipality the request names
  (``X-Tenant`` or host); the token is then verified against that provider's keys, and the
  person's role is, in order: the consultancy's staff role (a consultant only where granted),
  their membership, the provider's roles claim mapped to municipal roles, the provider's
  default role.

Every refusal is ``UNAUTHENTICATED`` (the token is not good here) or ``FORBIDDEN`` (it is good,
but not for this municipality).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.audit import service as audit
from core.enums import MunicipalityStatus
from core.errors import BadUserInput, Forbidden, TenantSuspended, TenantUnknown, Unauthenticated
from core.i18n import msg
from core.identity import service as identity
from core.identity.oidc import OidcVerifier, unverified_header_and_claims
from core.identity.principal import ANONYMOUS, Principal
from core.identity.roles import MUNICIPAL_ROLES, STAFF_ROLES, Permission, Role
from core.identity.tokens import TokenService, invalid_token
from core.municipalities.models import Municipality
from core.notifications import participants
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.directory import MunicipalityDirectory
from tenants.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Resolved:
    binding: TenantBinding
    municipality: Municipality


def slug_from_host(host: str | None, base_domain: str) -> str | None:
    """``demo.localhost:8000`` -> ``demo`` when the base domain is ``localhost``."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = "." + base_domain.lower().strip(".")
    if name.endswith(suffix):
        label = name[: -len(suffix)]
        if label and "." not in label:
            return label
    return None


def requested_slug(principal: Principal, header: str | None, host_slug: str | None) -> str | None:
    header = header.strip().lower() if header else None
    if header and host_slug and header != host_slug:
        raise BadUserInput(
            msg(
                "The X-Tenant header and the host name name different municipalities.",
                "La cabecera X-Tenant y el nombre de host indican municipios distintos.",
                "O cabeçalho X-Tenant e o nome do host indicam municípios diferentes.",
            ),
            field="X-Tenant",
        )
    slug = header or host_slug
    if principal.tenant and slug and principal.tenant != slug:
        raise Forbidden(
            msg(
                "The access token was issued for another municipality.",
                "El token de acceso fue emitido para otro municipio.",
                "O token de acesso foi emitido para outro município.",
            )
        )
    return slug or principal.tenant


async def find_municipality(
    directory: MunicipalityDirectory, slug: str, principal: Principal
) -> Municipality:
    """The named municipality, if it exists and is active (platform admins see suspended
    ones too)."""
    municipality = await directory.find(slug)
    if municipality is None:
        raise TenantUnknown(
            msg(
                f"No municipality '{slug}'.",
                f"No existe el municipio '{slug}'.",
                f"Não existe o município '{slug}'.",
            ),
            field="X-Tenant",
        )
    refuse_if_suspended(municipality, principal)
    return municipality


def issued_since_restored(claims: dict[str, Any], municipality: Municipality) -> None:
    """Refuse a token of the municipality's people issued before it was created or restored
    from an archive (``tokens_not_before``): a token of an erased municipality does not open
    a new one that took its slug, and the people of one restored sign in again."""
    cutoff = municipality.tokens_not_before
    if cutoff is None:
        return
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or issued < cutoff.timestamp():
        raise invalid_token("it was issued before the municipality existed here")


def binding_for(principal: Principal, municipality: Municipality) -> TenantBinding:
    return TenantBinding(
        tenant_id=municipality.id,
        slug=municipality.slug,
        sees_drafts=principal.can(Permission.READ_DRAFTS),
        sees_evaluation_drafts=principal.can(Permission.EVALUATE),
        author=None if principal.is_anonymous else principal.subject,
    )


async def enter_municipality(
    uow: UnitOfWork, principal: Principal, municipality: Municipality
) -> Resolved:
    """``principal`` acting in ``municipality``; the consultancy's staff crossing into a
    municipality leave an audit event there."""
    binding = binding_for(principal, municipality)
    if principal.role in STAFF_ROLES:
        async with uow.transaction(binding) as session:
            audit.record(
                session, principal, "platform.bind", municipality, after={"slug": binding.slug}
            )
    return Resolved(binding=binding, municipality=municipality)


#: The roles monitoring writes to (delays to editors, digests to admins).
REMINDED_ROLES = frozenset({Role.EDITOR, Role.TENANT_ADMIN})
#: How stale ``people.last_seen_at`` may get before a request refreshes it (one write per
#: person per interval, not one per request).
SEEN_INTERVAL = timedelta(hours=1)
BOUND_ROLES = MUNICIPAL_ROLES | {Role.CONSULTANT}


async def fresh_keys(db: Database, tokens: TokenService, kid: str | None = None) -> None:
    """Reload the built-in issuer's keys from the database when they are stale, or when a
    token names a key this process has not seen (a rotation elsewhere)."""
    if tokens.needs_refresh(kid):
        async with db.session(None) as session:
            await tokens.refresh(session, kid)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            msg(
                "Use 'Authorization: Bearer <token>'.",
                "Use 'Authorization: Bearer <token>'.",
                "Use 'Authorization: Bearer <token>'.",
            )
        )
    return token.strip()


@dataclass
class Authenticator:
    uow: UnitOfWork
    tokens: TokenService
    oidc: OidcVerifier
    #: Where municipalities are looked up (a caching directory in the app).
    directory: MunicipalityDirectory | None = None

    def __post_init__(self) -> None:
        if self.directory is None:
            self.directory = MunicipalityDirectory(self.uow.db)

    @property
    def municipalities(self) -> MunicipalityDirectory:
        assert self.directory is not None
        return self.directory

    @property
    def db(self) -> Database:
        return self.uow.db

    async def authenticate(
        self, authorization: str | None, header: str | None, host_slug: str | None
    ) -> tuple[Principal, Resolved | None]:
        token = bearer_token(authorization)
        if token is None:
            return ANONYMOUS, await self._enter(ANONYMOUS, header, host_slug)
        jose_header, unverified = unverified_header_and_claims(token)
        issuer = unverified.get("iss")
        if issuer == self.tokens.issuer:
            principal = await self._builtin(token, jose_header.get("kid"))
            slug = requested_slug(principal, header, host_slug)
            if slug is None:
                return principal, None
            municipality = await find_municipality(self.municipalities, slug, principal)
            if principal.tenant == municipality.slug:  # one of its people, or its client
                issued_since_restored(principal.claims, municipality)
            principal = await self._builtin_role(principal, municipality)
            return principal, await enter_municipality(self.uow, principal, municipality)
        if not isinstance(issuer, str):
            raise invalid_token("no issuer")
        return await self._external(token, issuer, header, host_slug)

    async def _enter(
        self, principal: Principal, header: str | None, host_slug: str | None
    ) -> Resolved | None:
        slug = requested_slug(principal, header, host_slug)
        if slug is None:
            return None
        municipality = await find_municipality(self.municipalities, slug, principal)
        return await enter_municipality(self.uow, principal, municipality)

    # -- the built-in issuer ------------------------------------------------------------

    async def _builtin(self, token: str, kid: Any) -> Principal:
        kid = kid if isinstance(kid, str) else None
        await fresh_keys(self.db, self.tokens, kid)
        return self.tokens.verify(token)

    async def _builtin_role(self, principal: Principal, municipality: Municipality) -> Principal:
        if principal.client_id is not None:
            probe = binding_for(ANONYMOUS, municipality)
            async with self.db.session(probe) as session:
                client = await identity.find_client(session, principal.client_id)
            if client is None or client.revoked_at is not None:
                raise invalid_token("the API client was revoked")
            scopes = frozenset(principal.scopes or ()) & frozenset(client.scopes)
            return replace(principal, role=client.role, scopes=scopes)
        if principal.role is Role.CONSULTANT:
            async with self.db.session(None) as session:
                person = await identity.find_person(
                    session, principal.issuer or "", principal.subject
                )
                if person is None or not await identity.is_granted(
                    session, person.id, municipality.id
                ):
                    raise _not_granted()
            return replace(principal, tenant=municipality.slug, person_id=person.id)
        return principal

    # -- a municipality's identity providers ---------------------------------------------

    async def _external(
        self, token: str, issuer: str, header: str | None, host_slug: str | None
    ) -> tuple[Principal, Resolved]:
        slug = requested_slug(ANONYMOUS, header, host_slug)
        if slug is None:
            raise invalid_token(
                "name the municipality (X-Tenant header or host) whose provider issued it"
            )
        municipality = await find_municipality(self.municipalities, slug, ANONYMOUS)
        async with self.db.session(binding_for(ANONYMOUS, municipality)) as session:
            provider = await identity.find_provider(session, issuer)
        if provider is None:
            raise invalid_token("its issuer is not trusted by this municipality")
        claims = await self.oidc.verify(token, issuer=provider.issuer, audience=provider.audience)
        issued_since_restored(claims, municipality)
        principal = await self._person(provider, claims, municipality)
        return principal, await enter_municipality(self.uow, principal, municipality)

    async def _person(
        self, provider: Any, claims: dict[str, Any], municipality: Municipality
    ) -> Principal:
        subject = str(claims["sub"])
        email = claims.get(provider.email_claim)
        verified = claims.get("email_verified") is not False
        email = email if isinstance(email, str) and "@" in email else None
        async with self.uow.transaction(None) as session:
            person = await identity.find_person(session, provider.issuer, subject)
            if person is None and email and verified:
                # A first sign-in: an invitation by this e-mail becomes this person.
                person = await identity.claim_invitation(session, provider.issuer, subject, email)
            now = datetime.now(UTC)
            refreshed = True
            if person is None:  # first sight
                person = await identity.person_for(session, provider.issuer, subject, email=email)
                person.last_seen_at = now
            elif (
                person.last_seen_at is None
                or now - person.last_seen_at > SEEN_INTERVAL
                or (email and person.email != email)
            ):
                person.email = email or person.email
                person.last_seen_at = now
            else:
                refreshed = False
            role: Role | None = None
            if person.staff_role is Role.PLATFORM_ADMIN:
                role = Role.PLATFORM_ADMIN
            elif person.staff_role is Role.CONSULTANT and await identity.is_granted(
                session, person.id, municipality.id
            ):
                role = Role.CONSULTANT
        if role is None:
            probe = binding_for(ANONYMOUS, municipality)
            async with self.db.session(probe) as session:
                role = await identity.membership_role(session, person.id)
        mapped = None
        if role is None:
            role = mapped = identity.mapped_role(provider, claims) or provider.default_role
        if refreshed:  # at most hourly: where staff reminders reach them
            async with self.uow.transaction(binding_for(ANONYMOUS, municipality)) as session:
                await participants.seen_through_provider(
                    session,
                    subject,
                    email if verified else None,
                    mapped if mapped in REMINDED_ROLES else None,
                )
        return Principal(
            subject=subject,
            role=role,
            tenant=municipality.slug
            if role in MUNICIPAL_ROLES or role is Role.CONSULTANT
            else None,
            claims=claims,
            issuer=provider.issuer,
            person_id=person.id,
            email=email if verified else None,
        )


async def acting_in(db: Database, principal: Principal, municipality: Municipality) -> Principal:
    """``principal`` acting in ``municipality`` from a request bound elsewhere (the
    consultancy's staff reading across their municipalities): a platform admin anywhere, a
    consultant where granted (``FORBIDDEN`` elsewhere, ``TENANT_SUSPENDED`` for a suspended
    one), nobody else."""
    if principal.is_platform_admin:
        return principal
    if principal.role is not Role.CONSULTANT:
        raise Forbidden(
            msg(
                f"You may not act in '{municipality.slug}'.",
                f"No puede actuar en '{municipality.slug}'.",
                f"Você não pode atuar em '{municipality.slug}'.",
            )
        )
    async with db.session(None) as session:
        person_id = principal.person_id
        if person_id is None:
            person = await identity.find_person(session, principal.issuer or "", principal.subject)
            person_id = person.id if person is not None else None
        if person_id is None or not await identity.is_granted(session, person_id, municipality.id):
            raise _not_granted()
    refuse_if_suspended(municipality, principal)
    return replace(principal, tenant=municipality.slug, person_id=person_id)


def refuse_if_suspended(municipality: Municipality, principal: Principal) -> None:
    if municipality.status is MunicipalityStatus.SUSPENDED and not principal.is_platform_admin:
        raise TenantSuspended(
            msg(
                f"The municipality '{municipality.slug}' is suspended.",
                f"El municipio '{municipality.slug}' está suspendido.",
                f"O município '{municipality.slug}' está suspenso.",
            )
        )


def _not_granted() -> Forbidden:
    return Forbidden(
        msg(
            "You are not granted access to this municipality.",
            "No tiene acceso concedido a este municipio.",
            "Você não tem acesso concedido a este município.",
        )
    )
