"""The built-in issuer: ES256-signed JWT access tokens (joserfc), its keyring, and validation.

Signing keys live in the database (``signing_keys``), so every replica signs and verifies with
the same keys and ``usina keys rotate`` takes effect everywhere without a restart: the newest
unretired key signs; a retired key keeps verifying until the last token it signed expires.
A process reloads the keyring every ``key_refresh_seconds``, and sooner when a token names a
key it does not know (at most once per ``UNKNOWN_KID_INTERVAL``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadUserInput, Unauthenticated
from core.i18n import msg
from core.identity.models import SigningKey
from core.identity.principal import Principal
from core.identity.roles import MUNICIPAL_ROLES, Role
from core.settings import Settings

ALGORITHM = "ES256"
LEEWAY_SECONDS = 30
UNKNOWN_KID_INTERVAL = 5.0


#: Why a token is refused, in Spanish (a reason not listed is given in English in
#: ``extensions.reason`` only, never inside a Spanish sentence).
REASONS_ES = {
    "the link is for another file": "el enlace es de otro archivo",
    "malformed": "está mal formado",
    "bad signature or format": "su firma o su formato no son válidos",
    "unknown role": "su rol no existe",
    "unknown key": "su clave no se conoce",
    "the identity provider cannot be reached": "no se puede contactar al proveedor de identidad",
    "the API client was revoked": "el cliente de la API fue revocado",
    "no municipality": "no indica el municipio",
    "no key ID": "no indica el ID de su clave",
    "no issuer": "no indica su emisor",
    "malformed client token": "el token de cliente está mal formado",
    "its issuer is not trusted by this municipality": "este municipio no confía en su emisor",
    "algorithm not allowed": "su algoritmo no está permitido",
    "name the municipality (X-Tenant header or host) whose provider issued it": (
        "indique el municipio (cabecera X-Tenant o host) cuyo proveedor lo emitió"
    ),
    "The token is expired": "venció",
    "it was issued before the municipality existed here": (
        "se emitió antes de que el municipio existiera aquí"
    ),
    "claims": "sus datos (claims) no son válidos",
}


#: The same reasons in Portuguese.
REASONS_PT = {
    "the link is for another file": "o link é de outro arquivo",
    "malformed": "está malformado",
    "bad signature or format": "a sua assinatura ou o seu formato não são válidos",
    "unknown role": "o seu papel não existe",
    "unknown key": "a sua chave é desconhecida",
    "the identity provider cannot be reached": "não é possível contatar o provedor de identidade",
    "the API client was revoked": "o cliente da API foi revogado",
    "no municipality": "não indica o município",
    "no key ID": "não indica o ID da sua chave",
    "no issuer": "não indica o seu emissor",
    "malformed client token": "o token de cliente está malformado",
    "its issuer is not trusted by this municipality": "este município não confia no seu emissor",
    "algorithm not allowed": "o seu algoritmo não é permitido",
    "name the municipality (X-Tenant header or host) whose provider issued it": (
        "indique o município (cabeçalho X-Tenant ou host) cujo provedor o emitiu"
    ),
    "The token is expired": "expirou",
    "it was issued before the municipality existed here": (
        "foi emitido antes de o município existir aqui"
    ),
    "claims": "os seus dados (claims) não são válidos",
}


def invalid_token(reason: str) -> Unauthenticated:
    spanish = REASONS_ES.get(reason)
    portuguese = REASONS_PT.get(reason)
    return Unauthenticated(
        msg(
            f"Invalid access token: {reason}.",
            f"Token de acceso inválido: {spanish}." if spanish else "Token de acceso inválido.",
            f"Token de acesso inválido: {portuguese}."
            if portuguese
            else "Token de acesso inválido.",
        ),
        details={"reason": reason},
    )


def _role(value: Role | str | None, *, field_name: str = "role") -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise BadUserInput(
            msg(
                f"Unknown role '{value}'.",
                f"Rol desconocido '{value}'.",
                f"Papel desconhecido '{value}'.",
            ),
            field=field_name,
        ) from None


def validate_claims(claims: dict[str, Any], *, issuer: str, audience: str) -> dict[str, Any]:
    """``iss``, ``aud``, ``sub``, ``exp`` and ``nbf`` (30 s leeway), for every token we accept."""
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        sub={"essential": True},
        exp={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise invalid_token(getattr(error, "description", None) or "claims") from error
    return dict(claims)


@dataclass
class Keyring:
    """The keys loaded from ``signing_keys``: one signs, all verify."""

    signing: ECKey | None = None
    verifying: KeySet = field(default_factory=lambda: KeySet([]))
    loaded_at: float = float("-inf")
    kids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, key: ECKey) -> Keyring:
        """A keyring of one key that never needs reloading (tests, tools)."""
        return cls(
            signing=key,
            verifying=KeySet([key]),
            loaded_at=float("inf"),
            kids=frozenset({str(key.kid)}),
        )


def new_key() -> ECKey:
    return ECKey.generate_key("P-256", private=True, auto_kid=True)


async def rotate(session: AsyncSession, *, now: datetime | None = None) -> SigningKey:
    """Add a new signing key and retire the current ones (they keep verifying)."""
    now = now or datetime.now(UTC)
    await session.execute(
        update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
    )
    key = new_key()
    row = SigningKey(
        kid=str(key.kid),
        algorithm=ALGORITHM,
        private_jwk=dict(key.as_dict(private=True)),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


@dataclass
class TokenService:
    issuer: str
    audience: str
    ttl_seconds: int = 3600
    refresh_seconds: float = 60.0
    keyring: Keyring = field(default_factory=Keyring)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _last_unknown_refresh: float = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenService:
        return cls(
            issuer=settings.issuer,
            audience=settings.audience,
            ttl_seconds=settings.token_ttl_seconds,
            refresh_seconds=settings.key_refresh_seconds,
        )

    # -- the keyring ---------------------------------------------------------------------

    def needs_refresh(self, kid: str | None = None) -> bool:
        now = time.monotonic()
        if now - self.keyring.loaded_at > self.refresh_seconds:
            return True
        return (
            kid is not None
            and kid not in self.keyring.kids
            and now - self._last_unknown_refresh > UNKNOWN_KID_INTERVAL
        )

    async def refresh(self, session: AsyncSession, kid: str | None = None) -> None:
        """Reload the keys (creating the first one on a new database)."""
        async with self._lock:
            if not self.needs_refresh(kid):  # another request just did it
                return
            now = time.monotonic()
            if now - self.keyring.loaded_at <= self.refresh_seconds:  # fresh: an unknown kid
                self._last_unknown_refresh = now
            horizon = datetime.now(UTC) - timedelta(seconds=self.ttl_seconds + LEEWAY_SECONDS)
            rows = list(
                (
                    await session.execute(
                        select(SigningKey)
                        .where(SigningKey.retired_at.is_(None) | (SigningKey.retired_at > horizon))
                        .order_by(SigningKey.created_at)
                    )
                ).scalars()
            )
            if not any(row.retired_at is None for row in rows):
                rows.append(await rotate(session))
            keys: list[Any] = [ECKey.import_key(row.private_jwk) for row in rows]
            active = [k for k, row in zip(keys, rows, strict=True) if row.retired_at is None]
            self.keyring = Keyring(
                signing=active[-1],
                verifying=KeySet(keys),
                loaded_at=time.monotonic(),
                kids=frozenset(str(k.kid) for k in keys),
            )

    def jwks(self) -> dict[str, Any]:
        return dict(self.keyring.verifying.as_dict(private=False))

    # -- issuing -------------------------------------------------------------------------

    def sign(self, claims: dict[str, Any], ttl_seconds: int | None = None) -> str:
        key = self.keyring.signing
        if key is None:
            raise RuntimeError("TokenService.refresh() must run before issuing tokens")
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl_seconds if ttl_seconds is not None else self.ttl_seconds),
            "jti": str(uuid.uuid4()),
            **claims,
        }
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"}
        return jwt.encode(header, payload, key, algorithms=[ALGORITHM])

    def issue(
        self,
        *,
        subject: str,
        role: Role | str,
        tenant: str | None,
        ttl_seconds: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """An operator's token (``usina tokens issue``): the role is in the token itself."""
        role = _role(role)
        if role in MUNICIPAL_ROLES and not tenant:
            raise BadUserInput(
                msg(
                    "A municipal role needs a municipality.",
                    "Un rol municipal necesita un municipio.",
                    "Um papel municipal precisa de um município.",
                ),
                field="tenant",
            )
        claims: dict[str, Any] = {"sub": subject, "role": role.value, **(extra or {})}
        if tenant and role in MUNICIPAL_ROLES:
            claims["tenant"] = tenant
        return self.sign(claims, ttl_seconds)

    def issue_for_client(self, *, client_id: str, tenant: str, scopes: list[str]) -> str:
        """An API client's token (client-credentials grant); its role is read at each request
        from the client's row, so revoking or changing the client applies at once."""
        return self.sign(
            {
                "sub": f"client:{client_id}",
                "client_id": client_id,
                "tenant": tenant,
                "scope": " ".join(scopes),
            }
        )

    # -- validating ----------------------------------------------------------------------

    def verify_claims(self, token: str) -> dict[str, Any]:
        """Validate signature, ``alg``, ``kid``, ``iss``, ``aud``, ``exp`` and ``nbf``."""
        try:
            decoded = jwt.decode(token, self.keyring.verifying, algorithms=[ALGORITHM])
        except (JoseError, ValueError) as error:
            raise invalid_token("bad signature or format") from error
        return validate_claims(decoded.claims, issuer=self.issuer, audience=self.audience)

    def verify(self, token: str) -> Principal:
        """An operator's or a client's token, as a principal (a client's role is filled in
        from its row by the caller)."""
        claims = self.verify_claims(token)
        if isinstance(claims.get("client_id"), str):
            scope = claims.get("scope")
            tenant = claims.get("tenant")
            if not isinstance(scope, str) or not isinstance(tenant, str):
                raise invalid_token("malformed client token")
            return Principal(
                subject=str(claims["sub"]),
                role=None,
                tenant=tenant,
                claims=claims,
                issuer=self.issuer,
                scopes=frozenset(scope.split()),
                client_id=claims["client_id"],
            )
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise invalid_token("unknown role") from None
        tenant = claims.get("tenant")
        if role in MUNICIPAL_ROLES and not isinstance(tenant, str):
            raise invalid_token("no municipality")
        email = claims.get("email")
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            tenant=tenant if role in MUNICIPAL_ROLES else None,
            claims=claims,
            issuer=self.issuer,
            email=email if isinstance(email, str) and "@" in email else None,
        )
