"""The built-in issuer: ES256-signed JWT access tokens (joserfc), and their validation.

The embedded default generates a P-256 key on first use and keeps it in ``data_dir``;
production passes the private JWK in ``USINA_SIGNING_KEY``.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from core.errors import BadUserInput, Unauthenticated
from core.i18n import msg
from core.identity.principal import Principal
from core.identity.roles import Role
from core.settings import Settings

ALGORITHM = "ES256"
KEY_FILE = "signing-key.json"


def _invalid(reason: str) -> Unauthenticated:
    return Unauthenticated(
        msg(f"Invalid access token: {reason}.", f"Token de acceso inválido: {reason}.")
    )


def load_or_create_key(settings: Settings) -> ECKey:
    """The issuer's private key: from settings, else from ``data_dir``, else a new one."""
    if settings.signing_key is not None:
        return ECKey.import_key(json.loads(settings.signing_key.get_secret_value()))
    path = Path(settings.data_dir) / KEY_FILE
    if path.exists():
        return ECKey.import_key(json.loads(path.read_text()))
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(key.as_dict(private=True), handle)
    return key


@dataclass
class TokenService:
    issuer: str
    audience: str
    key: ECKey
    ttl_seconds: int = 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenService:
        return cls(
            issuer=settings.issuer,
            audience=settings.audience,
            key=load_or_create_key(settings),
            ttl_seconds=settings.token_ttl_seconds,
        )

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.key]).as_dict(private=False))

    def issue(
        self,
        *,
        subject: str,
        role: Role | str,
        tenant: str | None,
        ttl_seconds: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        try:
            role = Role(role)
        except ValueError:
            raise BadUserInput(
                msg(f"Unknown role '{role}'.", f"Rol desconocido '{role}'."), field="role"
            ) from None
        if role is not Role.PLATFORM_ADMIN and not tenant:
            raise BadUserInput(
                msg(
                    "Every role but platform_admin needs a municipality.",
                    "Todo rol salvo platform_admin necesita un municipio.",
                ),
                field="tenant",
            )
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl_seconds if ttl_seconds is not None else self.ttl_seconds),
            "jti": str(uuid.uuid4()),
            "role": role.value,
            **(extra or {}),
        }
        if tenant and role is not Role.PLATFORM_ADMIN:
            claims["tenant"] = tenant
        header = {"alg": ALGORITHM, "kid": self.key.kid}
        return jwt.encode(header, claims, self.key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> Principal:
        """Validate signature, ``alg``, ``kid``, ``iss``, ``aud``, ``exp`` and ``nbf``."""
        try:
            decoded = jwt.decode(token, KeySet([self.key]), algorithms=[ALGORITHM])
        except (JoseError, ValueError) as error:
            raise _invalid("bad signature or format") from error
        registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as error:
            raise _invalid(getattr(error, "description", None) or "claims") from error
        claims = decoded.claims
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise _invalid("unknown role") from None
        tenant = claims.get("tenant")
        if role is not Role.PLATFORM_ADMIN and not isinstance(tenant, str):
            raise _invalid("no municipality")
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            tenant=tenant if role is not Role.PLATFORM_ADMIN else None,
            claims=claims,
        )
