"""A municipality's portals: the web origins allowed to call the API from a browser."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.errors import BadUserInput
from core.i18n import msg
from core.identity.principal import Principal
from core.municipalities import service as municipalities
from core.municipalities.models import Municipality

MAX_ORIGINS = 20


def normalize_origin(value: str, *, field: str = "origins") -> str:
    """``scheme://host[:port]``, lower-case, as browsers send it in ``Origin``; no path, no
    wildcard, http or https only."""
    text = (value or "").strip()
    parts = urlsplit(text)
    bad = BadUserInput(
        msg(
            f"'{text}' is not a web origin (https://host[:port], without a path).",
            f"'{text}' no es un origen web (https://host[:puerto], sin ruta).",
            f"'{text}' não é uma origem web (https://host[:porta], sem caminho).",
        ),
        field=field,
    )
    if parts.scheme not in ("http", "https") or not parts.hostname or "*" in text:
        raise bad
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise bad
    try:
        port = parts.port
    except ValueError:
        raise bad from None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


async def set_origins(
    session: AsyncSession, by: Principal, municipality_id: uuid.UUID, origins: Sequence[str]
) -> Municipality:
    """Replace the municipality's portal origins (deduplicated, in the order given)."""
    if len(origins) > MAX_ORIGINS:
        raise BadUserInput(
            msg(
                f"At most {MAX_ORIGINS} portal origins.",
                f"Como máximo {MAX_ORIGINS} orígenes de portal.",
                f"No máximo {MAX_ORIGINS} origens de portal.",
            ),
            field="origins",
        )
    clean = list(dict.fromkeys(normalize_origin(o) for o in origins))
    municipality = await municipalities.get(session, municipality_id)
    before = audit.snapshot(municipality)
    municipality.portal_origins = clean
    await session.flush()
    audit.record(session, by, "municipality.portal_origins", municipality, before=before)
    return municipality
