"""The built-in authorization server (authlib): discovery, JWKS and the token endpoint.

API clients (portals, integrations) registered per municipality get JWT access tokens with the
client-credentials grant, authenticated by HTTP Basic or form-posted secrets. authlib does the
protocol (request validation, client authentication, error responses); the client is looked up
before it runs, because the database is async and authlib is not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.enums import MunicipalityStatus
from core.identity import service as identity
from core.identity.models import ApiClient
from core.identity.principal import ANONYMOUS
from core.identity.tokens import TokenService
from core.municipalities import service as municipalities
from core.settings import Settings
from tenants.access import binding_for, fresh_keys
from tenants.database import Database

TOKEN_PATH = "/oauth/token"
JWKS_PATH = "/.well-known/jwks.json"
MAX_FORM_BYTES = 8_192


def metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 / OpenID discovery document of the built-in issuer."""
    issuer = settings.issuer.rstrip("/")
    document = AuthorizationServerMetadata(
        {
            "issuer": settings.issuer,
            "token_endpoint": issuer + TOKEN_PATH,
            "jwks_uri": issuer + JWKS_PATH,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "scopes_supported": list(identity.SCOPES),
            # No end-user flows: the authorization endpoint is not offered (RFC 8414 still
            # asks for the list, so it names the only type a client could use: none).
            "response_types_supported": ["none"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
        }
    )
    document.validate()
    return dict(document)


class _Client(ClientMixin):
    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return identity.secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope: str | None) -> str:
        granted = self.row.scopes
        if not scope:
            return " ".join(granted)
        return " ".join(s for s in scope.split() if s in granted)


class _Payload(OAuth2Payload):
    def __init__(self, form: dict[str, str], datalist: dict[str, list[str]]) -> None:
        self._form = form
        self._datalist = datalist

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):
    def __init__(self, uri: str, headers: Any, pairs: list[tuple[str, str]]) -> None:
        super().__init__(method="POST", uri=uri, headers=headers)
        datalist: dict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            datalist[key].append(value)
        self._form = {key: values[0] for key, values in datalist.items()}
        self.payload = _Payload(self._form, datalist)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Server(AuthorizationServer):
    """One per token request: it knows the one client the request may be about."""

    def __init__(self, client: ApiClient | None, tokens: TokenService, slug: str | None) -> None:
        super().__init__(scopes_supported=list(identity.SCOPES))
        self._client = client
        self._tokens = tokens
        self._slug = slug
        self.register_grant(_ClientCredentials)
        self.register_token_generator("client_credentials", self._generate)

    def query_client(self, client_id: str) -> _Client | None:
        row = self._client
        if row is None or row.client_id != client_id or row.revoked_at is not None:
            return None
        return _Client(row)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """JWT access tokens are not stored; revoking the client invalidates them."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        return Response(
            json.dumps(body),
            status_code=status,
            headers=dict(headers or []),
            media_type="application/json",
        )

    def _generate(self, *, client: _Client, scope: str | None, **_: Any) -> dict[str, Any]:
        assert self._slug is not None
        allowed = client.get_allowed_scope(scope).split()
        scopes = [s for s in identity.SCOPES if s in allowed]
        token = self._tokens.issue_for_client(
            client_id=client.row.client_id, tenant=self._slug, scopes=scopes
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self._tokens.ttl_seconds,
            "scope": " ".join(scopes),
        }


def _client_id(request: Request, form: dict[str, str]) -> str | None:
    basic_id, _ = extract_basic_authorization(
        {"Authorization": request.headers.get("authorization")}
    )
    return basic_id or form.get("client_id")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def token_endpoint(
    request: Request, *, db: Database, tokens: TokenService, settings: Settings
) -> Response:
    if request.method != "POST":
        return _oauth_error(405, "invalid_request", "Use POST.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _oauth_error(413, "invalid_request", "Request too large.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        return _oauth_error(
            400, "invalid_request", "Use Content-Type: application/x-www-form-urlencoded."
        )
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return _oauth_error(400, "invalid_request", "The body is not UTF-8.")
    form = dict(pairs)
    client_id = _client_id(request, form)
    client: ApiClient | None = None
    slug = identity.slug_of_client_id(client_id) if client_id else None
    if slug is not None:
        async with db.session(None) as session:
            municipality = await municipalities.find_by_slug(session, slug)
        if municipality is not None and municipality.status is MunicipalityStatus.ACTIVE:
            async with db.session(binding_for(ANONYMOUS, municipality)) as session:
                client = await identity.find_client(session, client_id or "")
    await fresh_keys(db, tokens)
    server = _Server(client, tokens, slug)
    oauth_request = _Request(settings.issuer.rstrip("/") + TOKEN_PATH, request.headers, pairs)
    response: Response = server.create_token_response(oauth_request)
    return response
