"""``/files/{id}?token=…``: downloading what an export job produced, through the signed,
expiring link its ``downloadUrl`` gives (a browser can follow it; no header needed)."""

from __future__ import annotations

import asyncio
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.errors import NotFound, UsinaError
from core.files.models import EvidenceFile
from core.files.store import FileStore
from core.i18n import msg, pick_locale
from core.identity.oidc import unverified_header_and_claims
from core.identity.principal import ANONYMOUS
from core.identity.tokens import TokenService, invalid_token
from core.jobs.models import ExportFile
from graphql_schema.errors import refusal
from tenants.access import binding_for, find_municipality, fresh_keys
from tenants.database import Database
from tenants.directory import MunicipalityDirectory


async def download(
    request: Request, *, db: Database, tokens: TokenService, store: FileStore
) -> Response:
    locale = pick_locale(request.headers.get("accept-language"))
    try:
        return await _download(request, db, tokens, store)
    except UsinaError as error:
        body, status = refusal(error, locale)
        return JSONResponse(body, status_code=status)


async def _download(
    request: Request, db: Database, tokens: TokenService, store: FileStore
) -> Response:
    token = request.query_params.get("token") or ""
    header, _ = unverified_header_and_claims(token)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    await fresh_keys(db, tokens, kid)
    claims = tokens.verify_claims(token)
    file_id = request.path_params["file_id"]
    if claims.get("file") != file_id or not isinstance(claims.get("tenant"), str):
        raise invalid_token("the link is for another file")
    try:
        key = uuid.UUID(file_id)
    except ValueError:
        raise invalid_token("the link is for another file") from None
    municipality = await find_municipality(MunicipalityDirectory(db), claims["tenant"], ANONYMOUS)
    binding = binding_for(ANONYMOUS, municipality)
    if claims.get("kind") == "evidence":
        async with db.session(binding) as session:
            evidence = await session.get(EvidenceFile, (municipality.id, key))
        if evidence is None:
            raise NotFound(
                msg("No such file.", "No existe ese archivo.", "Esse arquivo não existe.")
            )
        content = await asyncio.to_thread(store.get, evidence.storage_key)
        return Response(
            content,
            media_type=evidence.media_type,
            headers={
                "Content-Disposition": f'inline; filename="{_ascii(evidence.filename)}"',
                "Cache-Control": "private, no-store",
                # Only PDF and images are accepted, and they are shown as such, never run.
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox",
            },
        )
    async with db.session(binding) as session:
        row = await session.get(ExportFile, (municipality.id, key))
    if row is None:
        raise NotFound(msg("No such file.", "No existe ese archivo.", "Esse arquivo não existe."))
    return Response(
        row.content,
        media_type=row.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{row.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _ascii(name: str) -> str:
    """A filename fit for a header (non-ASCII and quotes replaced)."""
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
