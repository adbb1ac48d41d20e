"""Who is calling, and in which municipality: one step before any resolver runs.

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

from core.errors import Forbidden, Unauthenticated
from core.i18n import msg
from core.identity import service as identity
from core.identity.oidc import OidcVerifier, unverified_header_and_claims
from core.identity.principal import ANONYMOUS, Principal
from core.identity.roles import MUNICIPAL_ROLES, Role
from core.identity.tokens import TokenService, invalid_token
from core.municipalities.models import Municipality
from tenants.database import Database
from tenants.resolution import Resolved, bind, binding_for, find_municipality, requested_slug

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
            msg("Use 'Authorization: Bearer <token>'.", "Use 'Authorization: Bearer <token>'.")
        )
    return token.strip()


@dataclass
class Authenticator:
    db: Database
    tokens: TokenService
    oidc: OidcVerifier

    async def authenticate(
        self, authorization: str | None, header: str | None, host_slug: str | None
    ) -> tuple[Principal, Resolved | None]:
        token = bearer_token(authorization)
        if token is None:
            return ANONYMOUS, await self._bind(ANONYMOUS, header, host_slug)
        jose_header, unverified = unverified_header_and_claims(token)
        issuer = unverified.get("iss")
        if issuer == self.tokens.issuer:
            principal = await self._builtin(token, jose_header.get("kid"))
            slug = requested_slug(principal, header, host_slug)
            if slug is None:
                return principal, None
            municipality = await find_municipality(self.db, slug, principal)
            principal = await self._builtin_role(principal, municipality)
            return principal, await bind(self.db, principal, municipality)
        if not isinstance(issuer, str):
            raise invalid_token("no issuer")
        return await self._external(token, issuer, header, host_slug)

    async def _bind(
        self, principal: Principal, header: str | None, host_slug: str | None
    ) -> Resolved | None:
        slug = requested_slug(principal, header, host_slug)
        if slug is None:
            return None
        return await bind(self.db, principal, await find_municipality(self.db, slug, principal))

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
        municipality = await find_municipality(self.db, slug, ANONYMOUS)
        async with self.db.session(binding_for(ANONYMOUS, municipality)) as session:
            provider = await identity.find_provider(session, issuer)
        if provider is None:
            raise invalid_token("its issuer is not trusted by this municipality")
        claims = await self.oidc.verify(token, issuer=provider.issuer, audience=provider.audience)
        principal = await self._person(provider, claims, municipality)
        return principal, await bind(self.db, principal, municipality)

    async def _person(
        self, provider: Any, claims: dict[str, Any], municipality: Municipality
    ) -> Principal:
        subject = str(claims["sub"])
        email = claims.get(provider.email_claim)
        email = email if isinstance(email, str) and "@" in email else None
        async with self.db.session(None) as session:
            person = await identity.find_person(session, provider.issuer, subject)
            if person is None and email and claims.get("email_verified") is not False:
                # A first sign-in: an invitation by this e-mail becomes this person.
                person = await identity.claim_invitation(session, provider.issuer, subject, email)
            now = datetime.now(UTC)
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
        if role is None:
            role = identity.mapped_role(provider, claims) or provider.default_role
        return Principal(
            subject=subject,
            role=role,
            tenant=municipality.slug
            if role in MUNICIPAL_ROLES or role is Role.CONSULTANT
            else None,
            claims=claims,
            issuer=provider.issuer,
            person_id=person.id,
        )


def _not_granted() -> Forbidden:
    return Forbidden(
        msg(
            "You are not granted access to this municipality.",
            "No tiene acceso concedido a este municipio.",
        )
    )
