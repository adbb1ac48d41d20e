"""Validating access tokens of the OpenID Connect providers that municipalities trust.

Keys come from the provider's discovery document (``jwks_uri``) and are cached per issuer for
``oidc_jwks_cache_seconds``. A token naming an unknown ``kid`` makes one refetch (the provider
rotated its keys), at most once per ``oidc_unknown_kid_interval_seconds`` per issuer, so a
flood of forged key IDs cannot turn into a flood of requests to the provider. A failed fetch is
remembered for the same interval: tokens naming an issuer that cannot be reached (or that the
egress guard refuses) are refused without another fetch. Concurrent requests share one fetch.
Every fetch, the discovery document's and the ``jwks_uri`` it names, passes the egress guard
(``core/egress.py``): public addresses only, connected to as checked, answers capped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.egress import Egress, EgressRefused
from core.identity.tokens import invalid_token, validate_claims
from core.settings import Settings

#: Asymmetric algorithms only: ``none`` and the HMAC family (whose "key" would be public) are
#: refused before any key is looked at.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


def unverified_header_and_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a JWT's header and claims *without* trusting them: only to route the token to
    the right verifier. Anything malformed is an invalid token."""
    try:
        header_b64, claims_b64, _ = token.split(".")
        header = json.loads(_b64decode(header_b64))
        claims = json.loads(_b64decode(claims_b64))
    except (ValueError, UnicodeDecodeError):
        raise invalid_token("malformed") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise invalid_token("malformed")
    return header, claims


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@dataclass
class _Keys:
    keys: KeySet
    kids: frozenset[str]
    fetched_at: float


class OidcVerifier:
    """Per-issuer JWKS cache and token validation."""

    def __init__(
        self,
        *,
        cache_seconds: float = 600.0,
        unknown_kid_interval: float = 30.0,
        egress: Egress | None = None,
    ) -> None:
        self.cache_seconds = cache_seconds
        self.unknown_kid_interval = unknown_kid_interval
        self._egress = egress or Egress()
        self._cache: dict[str, _Keys] = {}
        self._failed: dict[str, float] = {}  # issuer -> when its last fetch failed
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0  # how many JWKS fetches were made (observable in tests)

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcVerifier:
        return cls(
            cache_seconds=settings.oidc_jwks_cache_seconds,
            unknown_kid_interval=settings.oidc_unknown_kid_interval_seconds,
            egress=Egress.from_settings(settings, timeout=settings.oidc_http_timeout_seconds),
        )

    async def close(self) -> None:
        await self._egress.close()

    async def verify(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        header, _ = unverified_header_and_claims(token)
        if header.get("alg") not in ALGORITHMS:
            raise invalid_token("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise invalid_token("no key ID")
        keys = await self._keys(issuer, kid)
        if kid not in keys.kids:
            raise invalid_token("unknown key")
        try:
            decoded = jwt.decode(token, keys.keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise invalid_token("bad signature or format") from error
        return validate_claims(decoded.claims, issuer=issuer, audience=audience)

    async def _keys(self, issuer: str, kid: str) -> _Keys:
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            cached = self._cache.get(issuer)
            now = time.monotonic()
            fresh = cached is not None and now - cached.fetched_at < self.cache_seconds
            if (
                fresh
                and cached is not None
                and (kid in cached.kids or now - cached.fetched_at < self.unknown_kid_interval)
            ):
                return cached
            failed = self._failed.get(issuer)
            if failed is not None and now - failed < self.unknown_kid_interval:
                if cached is not None:
                    return cached
                raise invalid_token("the identity provider cannot be reached")
            try:
                keys = await self._fetch(issuer)
            except (httpx.HTTPError, EgressRefused, ValueError, KeyError, JoseError) as error:
                self._failed[issuer] = time.monotonic()
                if cached is not None:  # the provider is down: keep trusting the keys we had
                    return cached
                raise invalid_token("the identity provider cannot be reached") from error
            self._failed.pop(issuer, None)
            self._cache[issuer] = keys
            return keys

    async def _fetch(self, issuer: str) -> _Keys:
        self.fetches += 1
        discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = await self._egress.request("GET", discovery_url)
        response.raise_for_status()
        document = response.json()
        if document.get("issuer") != issuer:
            raise ValueError("discovery document names another issuer")
        response = await self._egress.request("GET", str(document["jwks_uri"]))
        response.raise_for_status()
        jwks = response.json()
        usable = [
            k
            for k in jwks.get("keys", [])
            if isinstance(k, dict) and k.get("use", "sig") == "sig" and "kid" in k
        ]
        keys = KeySet.import_key_set({"keys": usable})
        return _Keys(
            keys=keys,
            kids=frozenset(str(k["kid"]) for k in usable),
            fetched_at=time.monotonic(),
        )
