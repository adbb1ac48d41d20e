"""One guard for every request the server makes on a municipality's behalf (webhooks, OpenID
Connect discovery and JWKS, anything later): a municipality's admin chooses those URLs, so
without it they would aim the platform at its own network (SSRF).

- The host is resolved once; every address it resolves to must be public: loopback, private,
  link-local, multicast, reserved, unspecified, shared (CGNAT) and documentation ranges are
  refused, and so are the IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
  IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4, Teredo),
  whatever the address inside them.
- The request then connects to the address that was checked (the URL's host replaced by it,
  the ``Host`` header and TLS's server name kept): no second resolution, so a DNS answer that
  changes between the check and the connection (rebinding) reaches nothing new.
- Redirects are not followed; a timeout (per read, and twice it for the whole call) and a
  response-size cap bound every call.
- An operator allowlist (``USINA_EGRESS_ALLOW``: networks such as ``10.20.0.0/16``) lets an
  on-premises identity provider or receiver through; ``webhook_allow_private_networks``
  (development) lets everything through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.errors import BadUserInput
from core.i18n import msg
from core.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: IPv6 ranges that embed an IPv4 address or are otherwise not a destination of their own.
_IPV6_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "fec0::/10")
)
_IPV4_REFUSED = tuple(ipaddress.ip_network(n) for n in ("100.64.0.0/10", "192.0.0.0/24"))


class EgressRefused(Exception):
    """A destination the platform does not call (the reason says why, for logs and jobs)."""


class Unresolvable(EgressRefused):
    """A host name that does not resolve (now): refused for a call, not at registration."""


def refused_address(address: Address, allowed: tuple[Network, ...] = ()) -> bool:
    """Whether ``address`` is not a public destination (and not on the operator's list)."""
    if any(address in network for network in allowed):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return refused_address(mapped, allowed)
        if any(address in network for network in _IPV6_REFUSED):
            return True
    elif any(address in network for network in _IPV4_REFUSED):
        return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


@dataclass
class Egress:
    """The guard and the HTTP client of outbound calls made for a municipality."""

    allowed: tuple[Network, ...] = ()
    allow_everything: bool = False
    timeout: float = 5.0
    max_bytes: int = 1_048_576
    transport: httpx.AsyncBaseTransport | None = None  # tests: a mock transport
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: float | None = None) -> Egress:
        return cls(
            allowed=tuple(ipaddress.ip_network(n, strict=False) for n in settings.egress_allow),
            allow_everything=settings.webhook_allow_private_networks,
            timeout=timeout if timeout is not None else settings.oidc_http_timeout_seconds,
            max_bytes=settings.egress_max_bytes,
        )

    async def resolve(self, url: str) -> Address | None:
        """The checked address to connect to (``None``: connect by name, everything allowed),
        or ``EgressRefused``."""
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise EgressRefused(f"{url!r} is not an http(s) URL")
        if self.allow_everything:
            return None
        host = parsed.host
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host,
                    parsed.port or (443 if parsed.scheme == "https" else 80),
                    type=socket.SOCK_STREAM,
                )
            except OSError as error:
                raise Unresolvable(f"{host} does not resolve ({error})") from error
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise Unresolvable(f"{host} does not resolve")
        for address in addresses:
            if refused_address(address, self.allowed):
                raise EgressRefused(f"{host} resolves to a non-public address ({address})")
        return addresses[0]

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """``method url`` sent to the checked address, its body read up to ``max_bytes``."""
        address = await self.resolve(url)
        target = httpx.URL(url)
        headers = httpx.Headers(kwargs.pop("headers", None))
        extensions: dict[str, Any] = {}
        if address is not None:
            host = target.host
            headers["Host"] = target.netloc.decode("ascii")
            target = target.copy_with(host=str(address))
            if target.scheme == "https":
                extensions["sni_hostname"] = host  # and the certificate checked for it
        client = self._http()
        request = client.build_request(
            method, target, headers=headers, extensions=extensions, **kwargs
        )
        # httpx's timeout bounds each read; a receiver trickling a byte at a time is bounded
        # by this one, over the whole call.
        try:
            async with asyncio.timeout(self.timeout * 2):
                response = await client.send(request, stream=True, follow_redirects=False)
                try:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():  # decoded: bombs count too
                        body.extend(chunk)
                        if len(body) > self.max_bytes:
                            raise EgressRefused(
                                f"the answer of {url} is over {self.max_bytes} bytes"
                            )
                finally:
                    await response.aclose()
        except TimeoutError:
            raise EgressRefused(f"{url} took longer than {self.timeout * 2:g} s") from None
        kept = httpx.Headers(
            [
                (k, v)
                for k, v in response.headers.multi_items()
                if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
        )
        return httpx.Response(
            response.status_code, headers=kept, content=bytes(body), request=request
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout,
                transport=self.transport,
                limits=httpx.Limits(max_keepalive_connections=0),  # each call resolved anew
                trust_env=False,  # no proxy from the environment between the check and the call
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def check_public_url(settings: Settings, field_name: str, url: str) -> None:
    """``BAD_USER_INPUT`` for a URL the platform would refuse to call (at registration: an
    identity provider's issuer), naming the field. A name that does not resolve yet is let
    through: every call is checked again when it is made."""
    try:
        await Egress.from_settings(settings).resolve(url)
    except Unresolvable:
        return
    except EgressRefused:
        raise BadUserInput(
            msg(
                "The platform does not call this address: it is not a public http(s) address "
                "(loopback, private, link-local and similar networks are refused).",
                "La plataforma no llama a esta dirección: no es una dirección http(s) pública "
                "(se rechazan las redes de loopback, privadas, de enlace local y similares).",
                "A plataforma não chama este endereço: não é um endereço http(s) público "
                "(redes de loopback, privadas, de enlace local e semelhantes são recusadas).",
            ),
            field=field_name,
        ) from None
