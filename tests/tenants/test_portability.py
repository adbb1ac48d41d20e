"""Moving and erasing a municipality (``tenants/portability.py``), on both databases, as the
tables' owner while the app (a role that is neither owner nor superuser on PostgreSQL) keeps
serving: export -> delete -> import gives back the same portal answers, audit trail and
exports; the deleted municipality's tokens are refused; no other municipality is touched; a
bad archive writes nothing. ``tests/tenants/test_moving_live.py`` does the same through the
CLI against a live server."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.audit.models import PlatformEvent
from core.commitments import service as commitments
from core.commitments.links import CommitmentContribution, CommitmentGap
from core.commitments.models import Commitment
from core.exports import plan as exports
from core.files import service as files
from core.files.store import LocalFileStore
from core.identity.principal import Principal
from core.identity.roles import Role
from core.identity.tokens import TokenService
from core.jobs.models import ExportFile, Job, JobStatus
from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from core.notifications import participants
from core.notifications.models import Delivery, DeliveryChannel, DeliveryStatus
from core.settings import Settings
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.isolation import binding_statements
from tenants.portability import (
    Summary,
    archived_tables,
    delete_municipality,
    export_municipality,
    import_municipality,
    owner_engine,
)
from tests.conftest import REPO
from tests.factories import SYSTEM, Tenant, build_tenant, error_codes, gql
from tests.graphql.test_branding import png
from usina.migrate import revisions

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PORTAL = (REPO / "graphql_schema" / "portal.graphql").read_text()
OPERATOR = Principal(subject="operator", role=Role.PLATFORM_ADMIN)
#: Everything a tenant admin sees of the plans, drafts included.
ADMIN = """{ actionPlans(first: 5) { nodes { id title status progress pendingChanges { field }
  versions { number publishedAt title summary changes { __typename } }
  commitments(first: 10) { nodes { id code title progress completionLevel
    milestones(first: 10) { nodes { id title status progress
      reports(first: 10) { nodes { id percent narrative reportedAt } } } } } } } }
  actors(first: 100) { nodes { id name kind } } }"""
AUDIT = """query($after: String) { auditEvents(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id occurredAt action entityType entityId actorSubject actorRole crossTenant before after } } }"""


@pytest.fixture
def owner_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_urls")["owner"])
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
async def engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    made = owner_engine(owner_url)
    yield made
    await made.dispose()


@pytest.fixture
def store(settings: Settings) -> LocalFileStore:
    return LocalFileStore(settings.files_dir)


async def with_every_kind_of_record(db: Database, store: LocalFileStore, prefix: str) -> Tenant:
    """A municipality with at least one row in every tenant-owned table, and a file."""
    tenant = await build_tenant(db, prefix)
    participant = Principal(
        subject=f"vecina-{prefix}",
        role=Role.PARTICIPANT,
        tenant=tenant.slug,
        email=f"vecina@{prefix}.example",
    )
    async with db.session(tenant.binding) as session:
        commitment = await session.get(Commitment, (tenant.municipality.id, tenant.commitment_id))
        assert commitment is not None
        await commitments.set_supporters(session, commitment, [tenant.ngo_id])
        session.add(
            CommitmentGap(
                plan_id=tenant.plan_id,
                commitment_id=tenant.commitment_id,
                assessment_id=tenant.validated_assessment_id,
                indicator="A2",
            )
        )
        session.add(
            CommitmentContribution(
                plan_id=tenant.plan_id,
                commitment_id=tenant.commitment_id,
                contribution_id=tenant.proposal_id,
            )
        )
        await participants.remember(session, participant)
        await files.upload_evidence(
            session, SYSTEM, store, tenant.milestone_id, "acta.pdf", PDF, max_bytes=1 << 20
        )
        await municipalities.update(
            session,
            SYSTEM,
            tenant.municipality.id,
            municipalities.MunicipalityChanges(primary_color="#0b5394", logo=png()),
        )
        job = Job(kind="exports.plan", status=JobStatus.SUCCEEDED, created_by="system")
        session.add(job)
        await session.flush()
        session.add(
            ExportFile(job_id=job.id, filename="plan.csv", media_type="text/csv", content=b"a,b\n")
        )
        session.add(
            Delivery(
                channel=DeliveryChannel.EMAIL,
                dedupe_key=f"digest-{prefix}",
                event_type="digest",
                recipient=f"admin@{prefix}.example",
                payload={"subject": "Resumen", "nothing": None},
                status=DeliveryStatus.PENDING,
            )
        )
    return tenant


async def archive_tables(engine: AsyncEngine, store: LocalFileStore, slug: str, path: Path) -> Any:
    """The archive's tables as text (what a municipality is, row by row), and its summary."""
    summary = await export_municipality(engine, store, slug, path, by=OPERATOR)
    with zipfile.ZipFile(path) as archive:
        tables = {
            name.removeprefix("tables/"): archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("tables/")
        }
    return tables, summary


def without_restoration(tables: dict[str, str]) -> dict[str, str]:
    """The municipality's row without what an import sets anew."""
    row = json.loads(tables["municipalities.jsonl"])
    for moved in ("data_version", "tokens_not_before"):
        row.pop(moved, None)
    return tables | {"municipalities.jsonl": json.dumps(row, sort_keys=True)}


async def audit_trail(client: httpx.AsyncClient, token: str, slug: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = None
    while True:
        answer = await gql(client, AUDIT, {"after": after}, token=token, tenant=slug)
        assert error_codes(answer) == [], answer
        page = answer["data"]["auditEvents"]
        events += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return events
        after = page["pageInfo"]["endCursor"]


async def plan_exports(db: Database, tenant: Tenant) -> dict[str, bytes]:
    binding = TenantBinding(tenant.municipality.id, tenant.slug, sees_drafts=True)
    async with db.session(binding) as session:
        from core.municipalities import service as municipalities

        municipality = await municipalities.get(session, tenant.municipality.id)
        data = await exports.load(session, municipality, tenant.plan_id, today=date(2026, 6, 1))
    built = {fmt: build(data) for fmt, build in exports.BUILDERS.items()}
    if "xlsx" in built:  # the workbook's cells, not the time openpyxl stamps on it
        with zipfile.ZipFile(io.BytesIO(built.pop("xlsx"))) as book:
            for name in sorted(book.namelist()):
                if name != "docProps/core.xml":
                    built[f"xlsx:{name}"] = book.read(name)
    return built


async def answers(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, token: str
) -> dict[str, Any]:
    portal = await gql(client, PORTAL, tenant=tenant.slug)
    admin = await gql(client, ADMIN, token=token, tenant=tenant.slug)
    for answer in (portal, admin):
        assert error_codes(answer) == [], answer
    return {
        "portal": portal,
        "admin": admin,
        "audit": await audit_trail(client, token, tenant.slug),
        "exports": await plan_exports(db, tenant),
    }


async def test_export_delete_import_gives_the_municipality_back_as_it_was(
    app: Any,
    client: httpx.AsyncClient,
    db: Database,
    engine: AsyncEngine,
    store: LocalFileStore,
    tokens: TokenService,
    tmp_path: Path,
) -> None:
    moved = await with_every_kind_of_record(db, store, "mv")
    stays = await build_tenant(db, "stay")
    slug, municipality_id = moved.slug, moved.municipality.id
    admin_token = tokens.issue(subject="admin-mv", role="tenant_admin", tenant=slug)
    before = await answers(client, db, moved, admin_token)
    assert before["portal"]["data"]["municipality"]["actionPlans"]["nodes"]
    assert len(before["audit"]) > 20

    tables, exported = await archive_tables(engine, store, slug, tmp_path / "mv.zip")
    empty = [name for name, count in exported.rows.items() if count == 0]
    assert empty == [], f"the archive lacks every row of {empty}"
    assert set(exported.rows) == {table.name for table in archived_tables()}
    assert exported.files == 1
    others, _ = await archive_tables(engine, store, stays.slug, tmp_path / "stay.zip")
    (evidence,) = [json.loads(line) for line in tables["evidence_files.jsonl"].splitlines()]

    erased = await delete_municipality(
        engine, store, slug, by=OPERATOR, versions=app.state.directory.versions
    )
    assert erased.rows["audit_events"] == exported.rows["audit_events"]
    assert erased.notes == []
    # Gone: every row, the file, its people; its tokens and its portal are refused.
    async with db.session(moved.binding) as session:
        for table in archived_tables():
            if "tenant_id" in table.c:
                left = await session.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.tenant_id == municipality_id)
                )
                assert left == 0, table.name
        people = await session.scalar(
            text("SELECT count(*) FROM people WHERE subject = :s"), {"s": "member-mv"}
        )
        assert people == 0
    with pytest.raises(FileNotFoundError):
        store.get(evidence["storage_key"])
    refused = await gql(client, ADMIN, token=admin_token, tenant=slug)
    assert error_codes(refused) == ["TENANT_UNKNOWN"]
    assert error_codes(await gql(client, PORTAL, tenant=slug)) == ["TENANT_UNKNOWN"]
    async with db.session(None) as session:
        record = (
            await session.execute(
                select(PlatformEvent).where(
                    PlatformEvent.municipality_id == municipality_id,
                    PlatformEvent.action == "municipality.deleted",
                )
            )
        ).scalar_one()
    assert (record.municipality_slug, record.actor_subject) == (slug, "operator")
    assert record.details["rows"] == erased.total_rows  # the consultant (staff) stays
    # The other municipality did not lose or change a row.
    still, _ = await archive_tables(engine, store, stays.slug, tmp_path / "stay-after.zip")
    assert still == others

    imported = await import_municipality(
        engine,
        store,
        tmp_path / "mv.zip",
        by=OPERATOR,
        revisions=revisions(),
        versions=app.state.directory.versions,
    )
    assert imported.rows == exported.rows
    assert store.get(evidence["storage_key"]) == PDF
    # Tokens issued before the import stay refused; its people sign in again.
    old = await gql(client, ADMIN, token=admin_token, tenant=slug)
    assert error_codes(old) == ["UNAUTHENTICATED"]
    assert old["errors"][0]["extensions"]["reason"] == (
        "it was issued before the municipality existed here"
    )
    async with db.session(None) as session:
        cutoff = await session.scalar(
            select(Municipality.tokens_not_before).where(Municipality.id == municipality_id)
        )
    assert cutoff is not None and cutoff > datetime.now(UTC) - timedelta(seconds=2)
    await asyncio.sleep(max(0.0, (cutoff - datetime.now(UTC)).total_seconds()))
    fresh = tokens.issue(subject="admin-mv", role="tenant_admin", tenant=slug)
    after = await answers(client, db, moved, fresh)
    assert after["portal"] == before["portal"]
    assert after["admin"] == before["admin"]
    assert after["audit"] == before["audit"]
    assert after["exports"] == before["exports"]
    again, _ = await archive_tables(engine, store, slug, tmp_path / "again.zip")
    assert without_restoration(again) == without_restoration(tables)


async def test_the_audit_trail_stays_append_only_for_the_app_after_an_erasure(
    db: Database, engine: AsyncEngine, store: LocalFileStore, backend: str
) -> None:
    kept = await build_tenant(db, "kept")
    gone = await build_tenant(db, "gone")
    await delete_municipality(engine, store, gone.slug, by=OPERATOR)
    if backend == "sqlite":
        async with engine.connect() as conn:
            triggers = await conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            )
        assert triggers == 8  # 4 append-only tables x (UPDATE, DELETE), all back in place
    # The app's own session may still not delete the audit trail (grants, triggers).
    with pytest.raises(Exception, match=r"(?i)append-only|permission denied"):
        async with db.engine.begin() as conn:
            if backend == "postgres":
                for statement in binding_statements(kept.municipality.id):
                    await conn.execute(text(statement))
            await conn.execute(
                text("DELETE FROM audit_events WHERE tenant_id = :t"),
                {"t": kept.municipality.id if backend == "postgres" else kept.municipality.id.hex},
            )
    # Nor may the owner, outside an erasure of that very municipality.
    with pytest.raises(Exception, match=r"(?i)append-only"):
        async with engine.begin() as conn:
            if backend == "postgres":
                # as the app binds (SET LOCAL: on Citus, set_config() would not reach the
                # shards, the DELETE would find no row and prove nothing)
                for statement in binding_statements(kept.municipality.id):
                    await conn.execute(text(statement))
                await conn.execute(text(f"SET LOCAL usina.erasing = '{gone.municipality.id}'"))
            seen = await conn.scalar(
                text("SELECT count(*) FROM audit_events WHERE tenant_id = :t"),
                {"t": kept.municipality.id if backend == "postgres" else kept.municipality.id.hex},
            )
            assert seen  # there is something to delete
            await conn.execute(
                text("DELETE FROM audit_events WHERE tenant_id = :t"),
                {"t": kept.municipality.id if backend == "postgres" else kept.municipality.id.hex},
            )


def rewrite(source: Path, target: Path, change: Any) -> None:
    """A copy of an archive with ``change(manifest, tables)`` applied, checksums redone (as a
    careless or hostile editor would)."""
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        tables = {
            name.removeprefix("tables/").removesuffix(".jsonl"): [
                json.loads(line) for line in archive.read(name).decode().splitlines()
            ]
            for name in archive.namelist()
            if name.startswith("tables/")
        }
        files = {n: archive.read(n) for n in archive.namelist() if n.startswith("files/")}
    change(manifest, tables)
    import hashlib

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, rows in tables.items():
            data = "".join(json.dumps(row) + "\n" for row in rows).encode()
            manifest["tables"][name]["sha256"] = hashlib.sha256(data).hexdigest()
            manifest["tables"][name]["rows"] = len(rows)
            out.writestr(f"tables/{name}.jsonl", data)
        for name, data in files.items():
            out.writestr(name, data)
        out.writestr("manifest.json", json.dumps(manifest))
    target.write_bytes(buffer.getvalue())


def renamed(manifest: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> None:
    """Another municipality's archive: every id of the municipality and its slug replaced."""
    old_id, old_slug = manifest["municipality"]["id"], manifest["municipality"]["slug"]
    new_id, new_slug = str(uuid.uuid4()), f"copia-{uuid.uuid4().hex[:8]}"
    swapped = json.loads(json.dumps(tables).replace(old_id, new_id).replace(old_slug, new_slug))
    tables.clear()
    tables.update(swapped)
    manifest["municipality"] |= {"id": new_id, "slug": new_slug}
    manifest["files"] = {}
    tables["evidence_files"] = []
    tables["people"] = []
    tables["memberships"] = []
    tables["consultant_grants"] = []


def hostile_archives(good: Path, tmp_path: Path) -> dict[str, Path]:
    """Archives a hostile editor would make: a member named twice (``unzip`` shows the first,
    Python reads the last), a path that climbs out (zip-slip), and a table that unpacks far
    past the cap (a 5 MB run of zeros under a cap lowered for the test)."""
    import hashlib
    import warnings

    with zipfile.ZipFile(good) as source:
        members = {name: source.read(name) for name in source.namelist()}
    bomb = b"0" * 5_000_000
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["actors"]["sha256"] = hashlib.sha256(bomb).hexdigest()
    variants: dict[str, list[tuple[str, bytes]]] = {
        "duplicate_member": [*members.items(), ("tables/actors.jsonl", b'{"id": "x"}\n')],
        "zip_slip": [*members.items(), ("../../etc/usina.jsonl", b"{}")],
        "absolute_path": [*members.items(), ("/tmp/usina.jsonl", b"{}")],
        "unpacks_past_the_cap": [
            *((n, d) for n, d in members.items() if n != "manifest.json"),
            ("manifest.json", json.dumps(manifest).encode()),
        ],
    }
    variants["unpacks_past_the_cap"] = [
        (n, bomb if n == "tables/actors.jsonl" else d) for n, d in variants["unpacks_past_the_cap"]
    ]
    made: dict[str, Path] = {}
    for name, entries in variants.items():
        made[name] = tmp_path / f"{name}.zip"
        with (
            warnings.catch_warnings(),
            zipfile.ZipFile(made[name], "w", compression=zipfile.ZIP_DEFLATED) as out,
        ):
            warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name
            for member, data in entries:
                out.writestr(member, data)
    return made


#: Why each hostile archive is refused (its English message).
HOSTILE_REASONS = {
    "duplicate_member": "holds 'tables/actors.jsonl' twice",
    "zip_slip": "a member named '../../etc/usina.jsonl'",
    "absolute_path": "a member named '/tmp/usina.jsonl'",
    "unpacks_past_the_cap": "larger than 1000000 bytes once unpacked",
    "missing_required": "lacks a required value",
}


async def count_municipalities(db: Database) -> int:
    async with db.session(None) as session:
        return int(await session.scalar(text("SELECT count(*) FROM municipalities")) or 0)


async def test_a_bad_archive_is_refused_and_writes_nothing(
    db: Database,
    engine: AsyncEngine,
    store: LocalFileStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.errors import BadUserInput, Conflict
    from tenants import portability

    monkeypatch.setattr(portability, "MAX_TABLE_BYTES", 1_000_000)

    tenant = await with_every_kind_of_record(db, store, "bad")
    good = tmp_path / "good.zip"
    await export_municipality(engine, store, tenant.slug, good, by=OPERATOR)
    known = revisions()

    async def load(path: Path) -> Summary:
        return await import_municipality(engine, store, path, by=OPERATOR, revisions=known)

    with pytest.raises(Conflict, match="already exists"):  # it is still here
        await load(good)

    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            out.writestr(
                name, data.replace(b"Plan bad", b"Plan mal") if "action_plans" in name else data
            )
    cases: dict[str, Any] = {"damaged": damaged}

    def newer(manifest: dict[str, Any], tables: Any) -> None:
        renamed(manifest, tables)
        manifest["schema_revision"] = "9999"

    def unknown_column(manifest: dict[str, Any], tables: Any) -> None:
        renamed(manifest, tables)
        manifest["tables"]["actors"]["columns"].append("shoe_size")

    def foreign_rows(manifest: dict[str, Any], tables: Any) -> None:
        renamed(manifest, tables)
        tables["actors"][0]["tenant_id"] = str(tenant.municipality.id)

    def clashing_client(manifest: dict[str, Any], tables: Any) -> None:
        renamed(manifest, tables)
        tables["api_clients"][0]["client_id"] = "x"  # then the same as another one's below
        tables["api_clients"].append(dict(tables["api_clients"][0], id=str(uuid.uuid4())))

    for name, change in (
        ("newer", newer),
        ("unknown_column", unknown_column),
        ("foreign_rows", foreign_rows),
        ("clashing_client", clashing_client),
    ):
        cases[name] = tmp_path / f"{name}.zip"
        rewrite(good, cases[name], change)

    def missing_required(manifest: dict[str, Any], tables: Any) -> None:
        renamed(manifest, tables)
        tables["actors"][0]["name"] = None  # a NOT NULL violation: damaged, not a clash

    cases["missing_required"] = tmp_path / "missing_required.zip"
    rewrite(good, cases["missing_required"], missing_required)
    (tmp_path / "not.zip").write_bytes(b"not a zip")
    cases["not_a_zip"] = tmp_path / "not.zip"
    cases.update(hostile_archives(good, tmp_path))

    expected = {"clashing_client": Conflict}
    count = await count_municipalities(db)
    for name, path in cases.items():
        with pytest.raises(expected.get(name, BadUserInput)) as refused:
            await load(path)
        assert refused.value.field == "archive", name
        assert refused.value.message.es and refused.value.message.pt, name
        assert HOSTILE_REASONS.get(name, "") in refused.value.message.en, name
        assert await count_municipalities(db) == count, name


async def test_an_archive_of_an_older_schema_loads_with_the_new_columns_defaults(
    app: Any,
    client: httpx.AsyncClient,
    db: Database,
    engine: AsyncEngine,
    store: LocalFileStore,
    tmp_path: Path,
) -> None:
    tenant = await with_every_kind_of_record(db, store, "old")
    good = tmp_path / "good.zip"
    await export_municipality(engine, store, tenant.slug, good, by=OPERATOR)
    made: dict[str, str] = {}

    def as_of_0012(manifest: dict[str, Any], tables: Any) -> None:
        renamed(manifest, tables)
        made["slug"] = manifest["municipality"]["slug"]
        manifest["schema_revision"] = "0012"  # before published versions
        del manifest["tables"]["plan_versions"], tables["plan_versions"]
        for table in ("commitments", "milestones"):
            manifest["tables"][table]["columns"].remove("public")
            for row in tables[table]:
                row.pop("public", None)

    older = tmp_path / "older.zip"
    rewrite(good, older, as_of_0012)
    summary = await import_municipality(engine, store, older, by=OPERATOR, revisions=revisions())
    assert summary.rows["commitments"] >= 1 and "plan_versions" not in summary.rows
    async with db.session(None) as session:
        municipality_id = await session.scalar(
            text("SELECT id FROM municipalities WHERE slug = :s"), {"s": made["slug"]}
        )
    binding = TenantBinding(uuid.UUID(str(municipality_id)), made["slug"], sees_drafts=True)
    async with db.session(binding) as session:
        public = list(
            (
                await session.execute(
                    select(Commitment.__table__.c.public).where(
                        Commitment.__table__.c.tenant_id == binding.tenant_id
                    )
                )
            ).scalars()
        )
    assert public and all(public)  # the column's default, as migration 0013 left old rows
    # And the portal reads it like any other municipality.
    answer = await gql(client, PORTAL, tenant=made["slug"])
    assert error_codes(answer) == [], answer


async def test_a_new_municipality_with_an_erased_ones_slug_refuses_its_old_tokens(
    app: Any,
    client: httpx.AsyncClient,
    db: Database,
    engine: AsyncEngine,
    store: LocalFileStore,
    tokens: TokenService,
) -> None:
    from core.municipalities.service import MunicipalityData
    from tenants.provisioning import create_municipality
    from tenants.unit_of_work import UnitOfWork

    erased = await build_tenant(db, "re")
    old = tokens.issue(subject="admin-re", role="tenant_admin", tenant=erased.slug)
    await delete_municipality(
        engine, store, erased.slug, by=OPERATOR, versions=app.state.directory.versions
    )
    # The next second: a token of the same second as the creation is let through.
    await asyncio.sleep(1.05 - datetime.now(UTC).microsecond / 1e6)
    await create_municipality(
        UnitOfWork(db), OPERATOR, MunicipalityData(slug=erased.slug, name="Otra", country="CL")
    )
    refused = await gql(client, ADMIN, token=old, tenant=erased.slug)
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert refused["errors"][0]["extensions"]["reason"] == (
        "it was issued before the municipality existed here"
    )
    fresh = tokens.issue(subject="admin-re", role="tenant_admin", tenant=erased.slug)
    answer = await gql(client, ADMIN, token=fresh, tenant=erased.slug)
    assert error_codes(answer) == [] and answer["data"]["actionPlans"]["nodes"] == []
