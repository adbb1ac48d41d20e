"""Downloads.

- ``/files/{id}?token=…``: what an export job produced, or a file of evidence read by the
  municipality's staff, through the signed, expiring link a ``downloadUrl`` gives (a browser
  can follow it; no header needed).
- ``/branding/{slug}/logo/{sha256}``: the municipality's logo, public and immutable likewise.
- ``/evidence/{slug}/{sha256}``: a file of evidence the public may read, at a stable,
  content-addressed address: the same bytes for ever, so an answer carrying it can be cached
  (by the response cache, a CDN, a browser) for as long as anyone likes and the link still
  works. Only what is public is served: the file belongs to a published plan (the public's
  visibility rules apply to the read), and nothing else.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
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
from core.milestones.models import Milestone
from core.municipalities.models import Municipality, MunicipalityLogo
from graphql_schema.errors import address_refusal, refusal
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


#: A public evidence file never changes at its address (the address is its hash).
IMMUTABLE = "public, max-age=31536000, immutable"


def evidence_path(slug: str, sha256: str) -> str:
    return f"/evidence/{slug}/{sha256}"


def logo_path(slug: str, sha256: str) -> str:
    return f"/branding/{slug}/logo/{sha256}"


async def logo(request: Request, *, db: Database) -> Response:
    async def find(session: AsyncSession, municipality: Municipality, digest: str) -> Response:
        found = (
            await session.execute(
                select(MunicipalityLogo).where(MunicipalityLogo.sha256 == digest).limit(1)
            )
        ).scalar_one_or_none()
        if found is None:
            raise _no_such_file()
        return _immutable(request, digest, found.media_type, found.size, lambda: found.content)

    return await _public_file(request, db, find)


async def public_evidence(request: Request, *, db: Database, store: FileStore) -> Response:
    async def find(session: AsyncSession, municipality: Municipality, digest: str) -> Response:
        evidence = (
            await session.execute(
                select(EvidenceFile).where(EvidenceFile.sha256 == digest).limit(1)
            )
        ).scalar_one_or_none()
        # A file of a milestone the public cannot see (added, not yet published) is not theirs.
        milestone = (
            await session.get(Milestone, (municipality.id, evidence.milestone_id))
            if evidence is not None
            else None
        )
        if evidence is None or milestone is None:
            raise _no_such_file()
        content = b""
        if request.method == "GET" and request.headers.get("if-none-match") != f'"{digest}"':
            content = await asyncio.to_thread(store.get, evidence.storage_key)
        return _immutable(
            request,
            digest,
            evidence.media_type,
            evidence.size,
            lambda: content,
            {"Content-Disposition": f'inline; filename="{_ascii(evidence.filename)}"'},
        )

    return await _public_file(request, db, find)


async def _public_file(
    request: Request,
    db: Database,
    find: Callable[[AsyncSession, Municipality, str], Awaitable[Response]],
) -> Response:
    """A public file of ``/…/{slug}/…/{sha256}``: ``find`` answers it, in a session bound to
    the municipality as the public (drafts' rows are not there); anything that does not exist
    is a 404 in the caller's language."""
    locale = pick_locale(request.headers.get("accept-language"))
    try:
        digest = _digest(request)
        municipality = await find_municipality(
            MunicipalityDirectory(db), request.path_params["slug"], ANONYMOUS
        )
        async with db.session(binding_for(ANONYMOUS, municipality)) as session:
            return await find(session, municipality, digest)
    except UsinaError as error:
        body, status = address_refusal(error, locale)
        return JSONResponse(body, status_code=status)


def _digest(request: Request) -> str:
    digest = str(request.path_params["sha256"])
    if len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise _no_such_file()
    return digest


def _immutable(
    request: Request,
    digest: str,
    media_type: str,
    size: int,
    content: Callable[[], bytes],
    extra: dict[str, str] | None = None,
) -> Response:
    """A public file at an address named by its hash: cached for ever, revalidated by ETag."""
    headers = {
        "ETag": f'"{digest}"',
        "Cache-Control": IMMUTABLE,
        # Only images and PDF are accepted, and they are shown as such, never run.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Access-Control-Allow-Origin": "*",
        **(extra or {}),
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(media_type=media_type, headers=headers | {"Content-Length": str(size)})
    return Response(content(), media_type=media_type, headers=headers)


def _no_such_file() -> NotFound:
    return NotFound(msg("No such file.", "No existe ese archivo.", "Esse arquivo não existe."))


def _ascii(name: str) -> str:
    """A filename fit for a header (non-ASCII and quotes replaced)."""
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
