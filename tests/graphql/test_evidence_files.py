"""Evidence files, uploaded with the GraphQL multipart request and kept on the local disk:
cited by a progress report, downloaded through a signed link bound to their municipality, read
by the public only for published content; the wrong type or size refused and nothing kept
(PostgreSQL and SQLite)."""

from __future__ import annotations

import hashlib
import io
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.files.models import EvidenceFile
from core.identity.principal import SYSTEM
from core.identity.tokens import TokenService
from core.milestones import service as milestones
from graphql_schema.jobs.types import FILE_LINK_SECONDS
from graphql_schema.relay import to_global_id
from tenants.database import Database
from tests.factories import END, START, UploadFile, World, error_codes, gql

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
UPLOAD = (
    "mutation($m: ID!, $f: Upload!) { uploadEvidence(input: {milestoneId: $m, file: $f}) "
    "{ evidenceFile { id filename mediaType size sha256 downloadUrl } } }"
)
REPORT = (
    "mutation($m: ID!, $f: ID!) { reportProgress(input: {milestoneId: $m, percent: 60, "
    'narrative: "Ordenanza aprobada", evidence: [{fileId: $f, title: "Ordenanza 12/2026"}, '
    '{url: "https://a.example/acta"}]}) { report { id } } }'
)
EVIDENCE = (
    "query($r: ID!) { node(id: $r) { ... on ProgressReport { evidence { url title "
    "file { filename mediaType size } } } } }"
)


async def evidence_files(db: Database, world: World) -> int:
    async with db.session(world.a.binding) as session:
        return int(
            (await session.execute(select(func.count()).select_from(EvidenceFile))).scalar_one()
        )


def path_of(link: str) -> str:
    return link.removeprefix("http://testserver")


async def test_a_pdf_is_uploaded_cited_and_downloaded_by_the_public(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    uploaded = await gql(
        client,
        UPLOAD,
        {"m": a.gid("Milestone"), "f": UploadFile("ordenanza 12.pdf", PDF, "application/pdf")},
        token=editor,
    )
    assert error_codes(uploaded) == [], uploaded
    file = uploaded["data"]["uploadEvidence"]["evidenceFile"]
    assert (file["filename"], file["mediaType"], file["size"]) == (
        "ordenanza 12.pdf",
        "application/pdf",
        len(PDF),
    )
    reported = await gql(client, REPORT, {"m": a.gid("Milestone"), "f": file["id"]}, token=editor)
    assert error_codes(reported) == [], reported
    report_id = reported["data"]["reportProgress"]["report"]["id"]

    public = await gql(client, EVIDENCE, {"r": report_id}, tenant=a.slug)  # anonymous
    assert error_codes(public) == [], public
    cited, link = public["data"]["node"]["evidence"]
    assert (cited["title"], cited["file"]) == (
        "Ordenanza 12/2026",
        {"filename": "ordenanza 12.pdf", "mediaType": "application/pdf", "size": len(PDF)},
    )
    assert link == {"url": "https://a.example/acta", "title": "", "file": None}
    downloaded = await client.get(path_of(cited["url"]))  # no header needed: a browser follows it
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["x-content-type-options"] == "nosniff"

    # The public's link is the file's stable address, in its municipality: the hash of its
    # bytes. Another hash, or the same hash under another municipality, is no file.
    assert path_of(cited["url"]) == f"/evidence/{a.slug}/{hashlib.sha256(PDF).hexdigest()}"
    assert downloaded.headers["cache-control"] == "public, max-age=31536000, immutable"
    tampered = await client.get(path_of(cited["url"])[:-4] + "0000")
    assert tampered.status_code == 404, tampered.text
    elsewhere = await client.get(path_of(cited["url"]).replace(a.slug, world.b.slug))
    assert elsewhere.status_code == 404
    revalidated = await client.get(
        path_of(cited["url"]), headers={"If-None-Match": downloaded.headers["etag"]}
    )
    assert revalidated.status_code == 304
    # The open data cites the file by the same address: a spreadsheet's link never expires.
    book = await client.get(f"/open-data/{a.slug}/plans/{a.plan_id}.xlsx")
    reports = list(load_workbook(io.BytesIO(book.content))["Reports"].iter_rows(values_only=True))
    assert cited["url"] in reports[1][-1] and "https://a.example/acta" in reports[1][-1]


async def test_a_cached_public_answer_keeps_working_links_after_the_signing_lifetime(
    client: httpx.AsyncClient, world: World, tokens: TokenService, monkeypatch: Any
) -> None:
    """The response cache may serve an answer for hours; its evidence links must outlive it.
    Staff links are signed for an hour and do expire: the clock really moved."""
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    uploaded = await gql(
        client, UPLOAD, {"m": a.gid("Milestone"), "f": UploadFile("acta.pdf", PDF)}, token=editor
    )
    file = uploaded["data"]["uploadEvidence"]["evidenceFile"]
    reported = await gql(client, REPORT, {"m": a.gid("Milestone"), "f": file["id"]}, token=editor)
    assert error_codes(reported) == [], reported
    report = reported["data"]["reportProgress"]["report"]["id"]
    query = "/graphql?" + urlencode({"query": EVIDENCE, "variables": json.dumps({"r": report})})
    first = await client.get(query, headers={"X-Tenant": a.slug})
    staff_link = file["downloadUrl"]
    assert (await client.get(path_of(staff_link))).status_code == 200

    later = time.time() + FILE_LINK_SECONDS + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    again = await client.get(query, headers={"X-Tenant": a.slug})
    assert again.headers["X-Usina-Cache"] == "hit"
    assert again.json() == first.json()
    public_link = again.json()["data"]["node"]["evidence"][0]["url"]
    downloaded = await client.get(path_of(public_link))
    assert (downloaded.status_code, downloaded.content) == (200, PDF)
    assert (await client.get(path_of(staff_link))).status_code == 401  # expired


async def test_files_of_unpublished_content_have_no_public_address(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    """A milestone added to a published plan is a draft until its changes are published: a
    file of its progress stays with the staff."""
    a = world.a
    async with db.session(a.binding) as session:
        draft_milestone = await milestones.create(
            session,
            SYSTEM,
            milestones.MilestoneData(
                commitment_id=a.commitment_id, title="H", start_date=START, end_date=END
            ),
        )
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    content = PDF + b"% draft\n"
    uploaded = await gql(
        client,
        UPLOAD,
        {"m": to_global_id("Milestone", draft_milestone.id), "f": UploadFile("b.pdf", content)},
        token=editor,
    )
    assert error_codes(uploaded) == [], uploaded
    staff_link = uploaded["data"]["uploadEvidence"]["evidenceFile"]["downloadUrl"]
    assert "token=" in staff_link  # staff read drafts' files through signed links only
    address = f"/evidence/{a.slug}/{hashlib.sha256(content).hexdigest()}"
    assert (await client.get(address)).status_code == 404
    assert (await client.head(address)).status_code == 404


async def test_the_link_of_one_municipalitys_file_opens_no_other(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a, b = world.a, world.b
    for tenant in (a, b):
        editor = tokens.issue(subject="ed", role="editor", tenant=tenant.slug)
        result = await gql(
            client,
            UPLOAD,
            {"m": tenant.gid("Milestone"), "f": UploadFile("x.pdf", PDF)},
            token=editor,
        )
        assert error_codes(result) == [], result
        if tenant is a:
            a_link = result["data"]["uploadEvidence"]["evidenceFile"]["downloadUrl"]
        else:
            b_file = result["data"]["uploadEvidence"]["evidenceFile"]["id"]
    from core.ids import from_global_id

    _, b_key = from_global_id(b_file, field="id")
    a_key = path_of(a_link).split("/")[2].split("?")[0]
    swapped = path_of(a_link).replace(a_key, str(b_key), 1)
    assert (await client.get(swapped)).status_code == 401  # the token names A's file only
    # A's editor cannot cite B's file in A's report: it does not exist there.
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    cited = await gql(client, REPORT, {"m": a.gid("Milestone"), "f": b_file}, token=editor)
    assert error_codes(cited) == ["NOT_FOUND"]
    assert cited["errors"][0]["extensions"]["field"] == "evidence.fileId"


async def test_wrong_files_are_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService, settings: Any
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    before = await evidence_files(db, world)
    too_big = b"%PDF-" + b"0" * settings.evidence_max_bytes
    for upload in (
        UploadFile("virus.exe", b"MZ\x90\x00binary", "application/pdf"),  # what it claims
        UploadFile("page.html", b"<html><script>alert(1)</script>", "text/html"),
        UploadFile("empty.pdf", b""),
        UploadFile("huge.pdf", too_big[: settings.evidence_max_bytes + 1]),
    ):
        result = await gql(client, UPLOAD, {"m": a.gid("Milestone"), "f": upload}, token=editor)
        assert error_codes(result) == ["BAD_USER_INPUT"], (upload.filename, result)
        assert result["errors"][0]["extensions"]["field"] == "file"
    # A file variable sent as plain JSON is no upload.
    as_json = await gql(client, UPLOAD, {"m": a.gid("Milestone"), "f": "JVBERi0="}, token=editor)
    assert error_codes(as_json) == ["BAD_USER_INPUT"]
    assert await evidence_files(db, world) == before
    participant = tokens.issue(subject="p", role="participant", tenant=a.slug)
    refused = await gql(
        client, UPLOAD, {"m": a.gid("Milestone"), "f": UploadFile("x.pdf", PDF)}, token=participant
    )
    assert error_codes(refused) == ["FORBIDDEN"]
