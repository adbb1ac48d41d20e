"""A municipality's branding (issue 33): a primary colour legible under white text and a logo,
set with ``updateMunicipality`` (a GraphQL multipart request) by its admins, audited, served
to the public at a stable address; bad values change nothing (PostgreSQL and SQLite)."""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

import httpx
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.identity.tokens import TokenService
from tenants.database import Database
from tests.factories import UploadFile, World, error_codes, gql

BRANDING = (
    "mutation($in: UpdateMunicipalityInput!) { updateMunicipality(input: $in) "
    "{ municipality { primaryColor logoUrl } } }"
)
READ = "{ municipality { primaryColor logoUrl } }"


def png(width: int = 2, height: int = 1) -> bytes:
    """A real PNG (white pixels), as an image editor writes one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


async def test_the_admin_sets_a_colour_and_a_logo_the_public_reads(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a = world.a
    admin = tokens.issue(subject="admin-a", role="tenant_admin", tenant=a.slug)
    logo = png()
    done = await gql(
        client,
        BRANDING,
        {"in": {"primaryColor": "#1D4ED8", "logo": UploadFile("escudo.png", logo, "image/png")}},
        token=admin,
    )
    assert error_codes(done) == [], done
    branded = done["data"]["updateMunicipality"]["municipality"]
    digest = hashlib.sha256(logo).hexdigest()
    assert branded["primaryColor"] == "#1d4ed8"
    assert path_of(branded["logoUrl"]) == f"/branding/{a.slug}/logo/{digest}"

    public = await gql(client, READ, tenant=a.slug)  # anonymous
    assert public["data"]["municipality"] == branded
    served = await client.get(path_of(branded["logoUrl"]))
    assert (served.status_code, served.content) == (200, logo)
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    # Another municipality's address for the same image is no image.
    assert (await client.get(f"/branding/{world.b.slug}/logo/{digest}")).status_code == 404

    async with db.session(a.binding) as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "municipality.update")
                )
            )
            .scalars()
            .all()
        )
    assert events[-1].after["logo_sha256"] == digest
    assert events[-1].after["primary_color"] == "#1d4ed8"

    # A new logo replaces the old (its address is gone); removing it leaves none.
    second = png(3, 1)
    replaced = await gql(
        client, BRANDING, {"in": {"logo": UploadFile("nuevo.png", second)}}, token=admin
    )
    assert error_codes(replaced) == [], replaced
    assert (await client.get(path_of(branded["logoUrl"]))).status_code == 404
    removed = await gql(
        client, BRANDING, {"in": {"removeLogo": True, "primaryColor": ""}}, token=admin
    )
    assert removed["data"]["updateMunicipality"]["municipality"] == {
        "primaryColor": None,
        "logoUrl": None,
    }


async def test_illegible_colours_and_wrong_logos_are_refused_and_change_nothing(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    a = world.a
    admin = tokens.issue(subject="admin-a", role="tenant_admin", tenant=a.slug)
    kept = await gql(client, BRANDING, {"in": {"primaryColor": "#0b5394"}}, token=admin)
    assert error_codes(kept) == [], kept
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"primaryColor": "#ffff00"}, "primaryColor", "1.07:1|1,07:1"),  # yellow, white text
        ({"primaryColor": "blue"}, "primaryColor", "#rrggbb"),
        ({"logo": UploadFile("x.svg", b"<svg onload='alert(1)'/>")}, "logo", "PNG"),
        # Numbers with each language's separators.
        ({"logo": UploadFile("big.png", png() + b"\0" * 600_000)}, "logo", "524,288|524.288"),
        (
            {"primaryColor": "#000000", "logo": UploadFile("x.gif", b"GIF89a")},
            "logo",
            "PNG",
        ),  # one bad value: nothing changes, not even the good colour
    ]
    for change, field, detail in cases:
        for locale in ("en", "es", "pt"):
            refused = await gql(
                client, BRANDING, {"in": change}, token=admin, headers={"Accept-Language": locale}
            )
            assert error_codes(refused) == ["BAD_USER_INPUT"], refused
            error = refused["errors"][0]
            assert error["extensions"]["field"] == field
            wanted = detail.split("|")[0 if locale == "en" else -1]
            assert wanted in error["message"], (locale, error["message"])
    after = await gql(client, READ, tenant=a.slug)
    assert after["data"]["municipality"] == {"primaryColor": "#0b5394", "logoUrl": None}
    editor = tokens.issue(subject="editor-a", role="editor", tenant=a.slug)
    forbidden = await gql(client, BRANDING, {"in": {"primaryColor": "#000000"}}, token=editor)
    assert error_codes(forbidden) == ["FORBIDDEN"]
