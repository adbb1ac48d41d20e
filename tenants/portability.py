"""Moving a municipality to another deployment, and erasing it when its contract ends.

An **archive** is a zip file holding everything of one municipality:

- ``manifest.json``: the format and its version, the schema revision it was written at, the
  municipality, and per table its columns, row count and SHA-256 (per file, its size and
  SHA-256), so that a damaged or altered archive is refused before anything is written;
- ``tables/<table>.jsonl``: one JSON object per row, ordered by primary key. A column whose
  value is SQL ``NULL`` is left out of the row; UUIDs, dates and times are ISO strings, bytes
  are base64, JSON columns hold their JSON value;
- ``files/<file id>``: the bytes of its evidence files, from the file store.

The tables are the municipality's row, every tenant-owned table (found from the models, so a
new table is carried without touching this module), the people its memberships and consultant
grants name, and those grants. An archive is loaded into a deployment at the same schema
revision or a newer one: columns added since are filled with their defaults. (Every migration
of tenant tables so far only adds; one that reshapes tenant data must also reshape an older
archive's rows here.)

Export, import and erasure run as the tables' owner (``USINA_MIGRATION_DATABASE_URL`` when
set), because only the owner may delete rows of the append-only tables, and only while the
transaction declares the erasure of that municipality (``usina.erasing``, see
``usina/migrations/frozen.py``). Row-level security still applies: each transaction is bound
to the one municipality it works on. These are operators' commands, not writers of content:
they do not go through the unit of work, and each leaves its record in ``platform_events``
(the municipality's own audit trail is carried unchanged).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    LargeBinary,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    delete,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db.base import TenantOwned, UTCDateTime
from core.db.engine import make_engine
from core.errors import BadUserInput, Conflict, TenantUnknown
from core.files.store import FileStore, key_for
from core.i18n import msg
from core.identity.principal import Principal
from core.models import Base  # every table
from tenants import plugin_activations  # noqa: F401  (its table)
from tenants.isolation import binding_statements
from tenants.versions import DataVersions

FORMAT = "usina-municipality-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Rows per INSERT round trip when loading.
BATCH = 500

PLATFORM_TABLES = ("municipalities", "people", "consultant_grants")


# -- the engine -------------------------------------------------------------------------------


def owner_engine(url: str) -> AsyncEngine:
    """An engine for the owner's connection. On SQLite, a transaction starts with ``BEGIN
    IMMEDIATE`` (the write lock up front, and the trigger changes of an erasure inside it)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Connection) -> None:
            # Writers take the lock up front; an export reads a snapshot (``BEGIN``).
            connection.exec_driver_sql(
                connection.get_execution_options().get("sqlite_begin", "BEGIN IMMEDIATE")
            )

    return engine


# -- what an archive holds -------------------------------------------------------------------


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def archived_tables() -> list[Table]:
    """The tables an archive carries, parents before children."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if "tenant_id" in table.c or table.name in PLATFORM_TABLES
    ]


def _append_only_tables() -> list[str]:
    return sorted(
        mapper.persist_selectable.name  # type: ignore[attr-defined]
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantOwned) and mapper.class_.__append_only__
    )


def _encode(table: Table, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.c:
        value = row._mapping[column.name]
        if value is None:
            continue  # SQL NULL: left out
        kind = column.type
        if isinstance(kind, LargeBinary):
            value = base64.b64encode(value).decode("ascii")
        elif isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, enum.Enum):
            value = value.value
        out[column.name] = value
    return out


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        kind = table.c[name].type
        if isinstance(kind, JSON):
            out[name] = json.dumps(value)  # bound as text: JSON null stays JSON null
        elif isinstance(kind, LargeBinary):
            out[name] = base64.b64decode(value)
        elif isinstance(kind, Uuid):
            out[name] = uuid.UUID(value)
        elif isinstance(kind, UTCDateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(kind, Date):
            out[name] = date.fromisoformat(value)
        elif getattr(kind, "enum_class", None) is not None:
            out[name] = kind.enum_class(value)  # type: ignore[attr-defined]
        else:
            out[name] = value
    return out


#: The parameter a JSON column's text is bound to (a column's own name is SQLAlchemy's).
JSON_PARAMETER = "{}__json"


def _insert(table: Table, dialect: str) -> Any:
    """An INSERT whose JSON columns take their JSON text as it was written (SQL NULL stays
    NULL, JSON ``null`` stays JSON ``null``); columns an older archive lacks get their
    defaults."""

    def text_of(column: Any) -> Any:
        value = bindparam(JSON_PARAMETER.format(column.name), type_=Text())
        return cast(value, column.type) if dialect == "postgresql" else value

    return insert(table).values(
        {column.name: text_of(column) for column in table.c if isinstance(column.type, JSON)}
    )


def _parameters(table: Table, columns: Iterable[str], row: dict[str, Any]) -> dict[str, Any]:
    """The row's values for :func:`_insert`: every archived column (SQL NULL for those the row
    leaves out), decoded; JSON ones under their text parameter. A JSON column the archive
    lacks gets the column's default, as a column added by a later migration would."""
    decoded = _decode(table, row)
    out: dict[str, Any] = {}
    for column in table.c:
        name = column.name
        if isinstance(column.type, JSON):
            if name in columns:
                out[JSON_PARAMETER.format(name)] = decoded.get(name)
            else:
                default = getattr(column.default, "arg", None)
                value = default({}) if callable(default) else default
                out[JSON_PARAMETER.format(name)] = None if value is None else json.dumps(value)
        elif name in columns:
            out[name] = decoded.get(name)
    return out


@dataclass
class Summary:
    """What a command moved or erased."""

    municipality_id: uuid.UUID
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    #: The archive's own SHA-256 (export and import).
    sha256: str | None = None
    #: What erasure could not remove, for the operator (file keys, people kept).
    notes: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# -- reading and writing rows -----------------------------------------------------------------


async def _bind(conn: AsyncConnection, tenant_id: uuid.UUID, *, erasing: bool = False) -> None:
    """Row-level security on PostgreSQL: this transaction sees this municipality only."""
    if conn.dialect.name != "postgresql":
        return
    for statement in binding_statements(tenant_id):
        await conn.exec_driver_sql(statement)
    if erasing:  # SET LOCAL, like the binding: it must reach Citus's shards, where triggers run
        await conn.exec_driver_sql(f"SET LOCAL usina.erasing = '{uuid.UUID(str(tenant_id))}'")


async def _find(conn: AsyncConnection, slug: str) -> Any:
    table = _table("municipalities")
    found = (await conn.execute(select(table).where(table.c.slug == slug))).first()
    if found is None:
        raise TenantUnknown(
            msg(
                f"No municipality '{slug}'.",
                f"No existe el municipio '{slug}'.",
                f"Não existe o município '{slug}'.",
            ),
            field="slug",
        )
    return found


def _selection(table: Table, municipality_id: uuid.UUID, people: set[uuid.UUID]) -> Any:
    order = list(table.primary_key.columns)
    if table.name == "municipalities":
        where = table.c.id == municipality_id
    elif table.name == "people":
        where = table.c.id.in_(people or [uuid.UUID(int=0)])
    elif table.name == "consultant_grants":
        where = table.c.municipality_id == municipality_id
    else:
        where = table.c.tenant_id == municipality_id
    return select(table).where(where).order_by(*order)


async def _people_of(conn: AsyncConnection, municipality_id: uuid.UUID) -> set[uuid.UUID]:
    """The people its memberships and consultant grants name."""
    members = _table("memberships")
    grants = _table("consultant_grants")
    found = await conn.execute(
        select(members.c.person_id).where(members.c.tenant_id == municipality_id)
    )
    people = set(found.scalars())
    found = await conn.execute(
        select(grants.c.person_id).where(grants.c.municipality_id == municipality_id)
    )
    return people | set(found.scalars())


async def _platform_event(
    conn: AsyncConnection,
    action: str,
    municipality_id: uuid.UUID,
    slug: str,
    by: Principal,
    details: dict[str, Any],
) -> None:
    await conn.execute(
        insert(_table("platform_events")),
        {
            "id": uuid.uuid4(),
            "occurred_at": datetime.now(UTC),
            "action": action,
            "municipality_id": municipality_id,
            "municipality_slug": slug,
            "actor_subject": by.subject,
            "actor_role": by.role.value if by.role else "anonymous",
            "details": details,
        },
    )


def _next_second() -> datetime:
    """Tokens carry whole seconds (``iat``): the first second after now, so that no token
    issued before the import shares its second with one issued after."""
    now = datetime.now(UTC)
    return now.replace(microsecond=0) + timedelta(seconds=1)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def schema_revision(conn: AsyncConnection) -> str:
    found = await conn.execute(text("SELECT version_num FROM alembic_version"))
    return str(found.scalar_one())


# -- export -----------------------------------------------------------------------------------


async def export_municipality(
    engine: AsyncEngine, store: FileStore, slug: str, destination: Path, *, by: Principal
) -> Summary:
    """Write the archive of ``slug`` to ``destination`` (whole or not at all), read in one
    consistent snapshot, and record the export in ``platform_events``."""
    destination = Path(destination)
    tables: dict[str, Any] = {}
    files: dict[str, Any] = {}
    options: dict[str, Any] = (
        {"isolation_level": "REPEATABLE READ"}
        if engine.dialect.name == "postgresql"
        else {"sqlite_begin": "BEGIN"}
    )
    handle, temporary = tempfile.mkstemp(dir=destination.parent or Path("."), suffix=".partial")
    os.close(handle)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(**options)
            async with conn.begin():
                municipality = await _find(conn, slug)
                await _bind(conn, municipality.id)
                revision = await schema_revision(conn)
                people = await _people_of(conn, municipality.id)
                with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for table in archived_tables():
                        lines = []
                        result = await conn.execute(_selection(table, municipality.id, people))
                        for row in result:
                            lines.append(json.dumps(_encode(table, row), ensure_ascii=False))
                        data = ("\n".join(lines) + "\n" if lines else "").encode()
                        archive.writestr(f"tables/{table.name}.jsonl", data)
                        tables[table.name] = {
                            "columns": [column.name for column in table.c],
                            "rows": len(lines),
                            "sha256": _sha256(data),
                        }
                    evidence = await conn.execute(
                        select(_table("evidence_files"))
                        .where(_table("evidence_files").c.tenant_id == municipality.id)
                        .order_by(_table("evidence_files").c.id)
                    )
                    for row in evidence:
                        content = store.get(row.storage_key)
                        archive.writestr(f"files/{row.id}", content)
                        files[str(row.id)] = {
                            "storage_key": row.storage_key,
                            "size": len(content),
                            "sha256": _sha256(content),
                        }
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "schema_revision": revision,
                        "exported_at": datetime.now(UTC).isoformat(),
                        "municipality": {
                            "id": str(municipality.id),
                            "slug": municipality.slug,
                            "name": municipality.name,
                        },
                        "tables": tables,
                        "files": files,
                    }
                    archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        summary = Summary(
            municipality.id,
            municipality.slug,
            rows={name: meta["rows"] for name, meta in tables.items()},
            files=len(files),
            sha256=_file_sha256(Path(temporary)),
        )
        os.replace(temporary, destination)
    except BaseException:
        os.unlink(temporary)
        raise
    async with engine.begin() as conn:
        await _platform_event(
            conn,
            "municipality.exported",
            summary.municipality_id,
            summary.slug,
            by,
            {"rows": summary.total_rows, "files": summary.files, "sha256": summary.sha256},
        )
    return summary


# -- import -----------------------------------------------------------------------------------


def _bad_archive(english: str, spanish: str, portuguese: str) -> BadUserInput:
    return BadUserInput(msg(english, spanish, portuguese), field="archive")


#: An archive's members are read in chunks of this size, never whole.
CHUNK_BYTES = 1 << 20
MAX_MANIFEST_BYTES = 64 << 20
MAX_TABLE_BYTES = 4 << 30
MAX_FILE_BYTES = 1 << 30
#: The names an archive of ours holds: the manifest, one JSON-lines file per table, files.
_MEMBER = re.compile(r"^(manifest\.json|tables/[a-z_][a-z0-9_]*\.jsonl|files/[A-Za-z0-9._-]+)$")


def _check_names(archive: zipfile.ZipFile) -> None:
    """Refuse an archive with a member named twice (``unzip`` shows the first, Python reads
    the last) or a name that is not one of ours (a path, ``..``, a drive, a backslash)."""
    seen: set[str] = set()
    for name in archive.namelist():
        if name in seen:
            raise _bad_archive(
                f"The archive holds '{name}' twice.",
                f"El archivo contiene '{name}' dos veces.",
                f"O arquivo contém '{name}' duas vezes.",
            )
        seen.add(name)
        if not _MEMBER.match(name) or ".." in name:
            shown = name.encode("unicode_escape").decode("ascii")[:200]
            raise _bad_archive(
                f"The archive holds a member named '{shown}', which no municipality archive has.",
                f"El archivo contiene un miembro llamado '{shown}', que ningún archivo de "
                "municipio tiene.",
                f"O arquivo contém um membro chamado '{shown}', que nenhum arquivo de "
                "município tem.",
            )


def _read_capped(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{name} is larger than {limit} bytes")
    return data


@dataclass
class Archive:
    """An archive, checked: the manifest is ours and every member matches it."""

    path: Path
    manifest: dict[str, Any]
    zip: zipfile.ZipFile

    @classmethod
    def open(cls, path: Path) -> Archive:
        try:
            archive = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise _bad_archive(
                f"'{path}' is not a municipality archive ({error}).",
                f"'{path}' no es un archivo de municipio ({error}).",
                f"'{path}' não é um arquivo de município ({error}).",
            ) from error
        _check_names(archive)
        try:
            manifest = json.loads(_read_capped(archive, MANIFEST, MAX_MANIFEST_BYTES))
        except (KeyError, ValueError) as error:
            raise _bad_archive(
                "The archive has no readable manifest.json.",
                "El archivo no tiene un manifest.json legible.",
                "O arquivo não tem um manifest.json legível.",
            ) from error
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _bad_archive(
                "The archive is not a Usina municipality archive.",
                "El archivo no es un archivo de municipio de Usina.",
                "O arquivo não é um arquivo de município do Usina.",
            )
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise _bad_archive(
                f"Archive format version {version} is not supported (this Usina reads "
                f"{FORMAT_VERSION}).",
                f"La versión de formato {version} del archivo no está soportada (este Usina lee "
                f"la {FORMAT_VERSION}).",
                f"A versão de formato {version} do arquivo não é suportada (este Usina lê a "
                f"{FORMAT_VERSION}).",
            )
        found = cls(Path(path), manifest, archive)
        found._verify()
        return found

    def _chunks(self, name: str, expected: str, limit: int) -> Iterator[bytes]:
        """``name``'s bytes in chunks, at most ``limit`` of them (a compressed bomb is cut
        off, never held in memory), and its checksum checked at its end."""
        digest, size = hashlib.sha256(), 0
        try:
            with self.zip.open(name) as member:
                for chunk in iter(lambda: member.read(CHUNK_BYTES), b""):
                    size += len(chunk)
                    if size > limit:
                        raise _bad_archive(
                            f"{name} is larger than {limit} bytes once unpacked.",
                            f"{name} ocupa más de {limit} bytes descomprimido.",
                            f"{name} ocupa mais de {limit} bytes descompactado.",
                        )
                    digest.update(chunk)
                    yield chunk
        except (KeyError, zipfile.BadZipFile, OSError) as error:
            raise _bad_archive(
                f"The archive lacks {name} or it is damaged.",
                f"Al archivo le falta {name} o está dañado.",
                f"Falta {name} no arquivo, ou está danificado.",
            ) from error
        if digest.hexdigest() != expected:
            raise _bad_archive(
                f"{name} does not match its checksum in the manifest: the archive was altered "
                "or damaged.",
                f"{name} no coincide con su suma de control del manifiesto: el archivo fue "
                "alterado o está dañado.",
                f"{name} não coincide com a sua soma de verificação do manifesto: o arquivo foi "
                "alterado ou está danificado.",
            )

    def _verify(self) -> None:
        for name, meta in self.manifest.get("tables", {}).items():
            for _ in self._chunks(f"tables/{name}.jsonl", meta["sha256"], MAX_TABLE_BYTES):
                pass
        for file_id, meta in self.manifest.get("files", {}).items():
            for _ in self._chunks(f"files/{file_id}", meta["sha256"], MAX_FILE_BYTES):
                pass

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """The table's rows, streamed line by line (its checksum checked again at its end)."""
        meta = self.manifest["tables"].get(table)
        if meta is None:
            return
        pending = b""
        for chunk in self._chunks(f"tables/{table}.jsonl", meta["sha256"], MAX_TABLE_BYTES):
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                if line.strip():
                    yield json.loads(line)
        if pending.strip():
            yield json.loads(pending)

    def file(self, file_id: str) -> bytes:
        meta = self.manifest["files"][file_id]
        return b"".join(self._chunks(f"files/{file_id}", meta["sha256"], MAX_FILE_BYTES))

    @property
    def municipality_id(self) -> uuid.UUID:
        return uuid.UUID(self.manifest["municipality"]["id"])

    @property
    def slug(self) -> str:
        return str(self.manifest["municipality"]["slug"])


def _check_schema(archive: Archive, revisions: Sequence[str], current: str) -> None:
    """The archive's tables and columns must all exist here, at its revision or a later one."""
    written_at = archive.manifest.get("schema_revision")
    if written_at not in revisions or revisions.index(written_at) > revisions.index(current):
        raise _bad_archive(
            f"The archive was written at schema revision {written_at}, which this deployment "
            f"(at {current}) does not have: upgrade Usina here, or export from a deployment at "
            "the same or an older revision.",
            f"El archivo se escribió con la revisión de esquema {written_at}, que este "
            f"despliegue (en {current}) no tiene: actualice Usina aquí, o exporte desde un "
            "despliegue con la misma revisión o una anterior.",
            f"O arquivo foi escrito na revisão de esquema {written_at}, que esta implantação "
            f"(em {current}) não tem: atualize o Usina aqui, ou exporte de uma implantação na "
            "mesma revisão ou numa anterior.",
        )
    known = {table.name: table for table in archived_tables()}
    for name, meta in archive.manifest["tables"].items():
        table = known.get(name)
        unknown = [c for c in meta["columns"] if table is None or c not in table.c]
        if unknown:
            where = f"{name}.{unknown[0]}" if table is not None else name
            raise _bad_archive(
                f"The archive holds {where}, which this deployment's schema does not have.",
                f"El archivo contiene {where}, que el esquema de este despliegue no tiene.",
                f"O arquivo contém {where}, que o esquema desta implantação não tem.",
            )


def _foreign(where: str) -> BadUserInput:
    return _bad_archive(
        f"{where} belongs to another municipality than the archive's: nothing was imported.",
        f"{where} pertenece a otro municipio que el del archivo: no se importó nada.",
        f"{where} pertence a outro município que o do arquivo: nada foi importado.",
    )


def _check_owner(table: Table, row: dict[str, Any], municipality_id: uuid.UUID) -> None:
    """Every row of an archive is its municipality's (an altered archive must not write into
    another one; on SQLite nothing else would stop it)."""
    owner = {"municipalities": "id", "consultant_grants": "municipality_id"}.get(
        table.name, "tenant_id"
    )
    if row.get(owner) != str(municipality_id):
        raise _foreign(f"A row of {table.name}")
    if table.name == "evidence_files" and row.get("storage_key") != key_for(
        municipality_id, uuid.UUID(row["id"])
    ):
        raise _foreign(f"The file of evidence_files {row.get('id')}")


async def _people(conn: AsyncConnection, archive: Archive) -> dict[str, str]:
    """Insert the archive's people this deployment does not know (never with a staff role:
    an archive does not make anyone the consultancy's staff); the ids of those it knows by
    issuer and subject under another id, to rewrite the references."""
    people = _table("people")
    renamed: dict[str, str] = {}
    for row in archive.rows("people"):
        by_id = (
            await conn.execute(select(people.c.id).where(people.c.id == uuid.UUID(row["id"])))
        ).first()
        if by_id is not None:
            continue
        if row.get("subject") is not None:
            same = (
                await conn.execute(
                    select(people.c.id).where(
                        people.c.issuer == row["issuer"], people.c.subject == row["subject"]
                    )
                )
            ).first()
            if same is not None:
                renamed[row["id"]] = str(same.id)
                continue
        columns = [c for c in archive.manifest["tables"]["people"]["columns"] if c != "staff_role"]
        row.pop("staff_role", None)
        await conn.execute(_insert(people, conn.dialect.name), _parameters(people, columns, row))
    return renamed


async def import_municipality(
    engine: AsyncEngine,
    store: FileStore,
    path: Path,
    *,
    by: Principal,
    revisions: Sequence[str],
    versions: DataVersions | None = None,
) -> Summary:
    """Load an archive into this deployment, in one transaction: all of it or nothing.

    ``revisions`` are the schema revisions Usina knows, oldest first. The municipality must
    not exist here yet (by id or slug). Tokens issued before the import are refused for its
    people (``tokens_not_before``).
    """
    archive = Archive.open(Path(path))
    municipality_id, slug = archive.municipality_id, archive.slug
    summary = Summary(municipality_id, slug, sha256=_file_sha256(Path(path)))
    written: list[str] = []
    try:
        async with engine.begin() as conn:
            _check_schema(archive, revisions, await schema_revision(conn))
            table = _table("municipalities")
            clash = (
                await conn.execute(
                    select(table.c.slug).where(
                        (table.c.id == municipality_id) | (table.c.slug == slug)
                    )
                )
            ).first()
            if clash is not None:
                raise Conflict(
                    msg(
                        f"The municipality '{slug}' already exists here: delete it first, or "
                        "import into another deployment.",
                        f"El municipio '{slug}' ya existe aquí: bórrelo primero, o importe en "
                        "otro despliegue.",
                        f"O município '{slug}' já existe aqui: apague-o primeiro, ou importe em "
                        "outra implantação.",
                    ),
                    field="archive",
                )
            await _bind(conn, municipality_id)
            for file_id, meta in archive.manifest.get("files", {}).items():
                if meta.get("storage_key") != key_for(municipality_id, uuid.UUID(file_id)):
                    raise _foreign(f"files/{file_id}")
                store.put(meta["storage_key"], archive.file(file_id))
                written.append(meta["storage_key"])
            summary.files = len(written)
            known_version = (await versions.current(municipality_id) if versions else None) or 0
            data_version = 0
            renamed: dict[str, str] = {}
            for table in archived_tables():
                if table.name == "people":
                    renamed = await _people(conn, archive)
                    summary.rows["people"] = archive.manifest["tables"]["people"]["rows"]
                    continue
                rows = list(archive.rows(table.name))
                if not rows:
                    continue
                columns = list(archive.manifest["tables"][table.name]["columns"])
                if table.name == "municipalities":
                    (row,) = rows
                    row["tokens_not_before"] = _next_second().isoformat()
                    row["data_version"] = max(row.get("data_version", 0), known_version) + 1
                    data_version = row["data_version"]
                    columns = list(dict.fromkeys([*columns, "tokens_not_before", "data_version"]))
                for row in rows:
                    _check_owner(table, row, municipality_id)
                    if row.get("person_id") in renamed:
                        row["person_id"] = renamed[row["person_id"]]
                statement = _insert(table, conn.dialect.name)
                for start in range(0, len(rows), BATCH):
                    batch = [
                        _parameters(table, columns, row) for row in rows[start : start + BATCH]
                    ]
                    await conn.execute(statement, batch)
                summary.rows[table.name] = len(rows)
            await _platform_event(
                conn,
                "municipality.imported",
                municipality_id,
                slug,
                by,
                {
                    "rows": summary.total_rows,
                    "files": summary.files,
                    "sha256": summary.sha256,
                    "exported_at": archive.manifest.get("exported_at"),
                    "schema_revision": archive.manifest.get("schema_revision"),
                },
            )
    except IntegrityError as error:
        _remove(store, written)
        raise _violation(error) from error
    except BaseException:
        _remove(store, written)
        raise
    if versions is not None:
        await versions.observe(municipality_id, data_version)
    return summary


def _violation(error: IntegrityError) -> BadUserInput | Conflict:
    """What a refused row of an archive is, said as what it is: a unique value taken here is
    a clash with this deployment (``CONFLICT``); a missing required value, a reference to a
    row the archive lacks or a failed check is a damaged archive (``BAD_USER_INPUT``)."""
    text = str(error.orig)
    details = {"constraint": text.splitlines()[0][:300]}
    state = str(getattr(error.orig, "sqlstate", "") or getattr(error.orig, "pgcode", "") or "")
    kinds = {
        "23502": "NOT NULL",
        "23503": "FOREIGN KEY",
        "23514": "CHECK",
    }
    kind = kinds.get(state) or next(
        (name for name in ("NOT NULL", "FOREIGN KEY", "CHECK") if name in text.upper()), None
    )
    if kind == "NOT NULL":
        texts = msg(
            "A row of the archive lacks a required value; nothing was imported.",
            "Una fila del archivo carece de un valor obligatorio; no se importó nada.",
            "Uma linha do arquivo não tem um valor obrigatório; nada foi importado.",
        )
    elif kind == "FOREIGN KEY":
        texts = msg(
            "A row of the archive refers to a row the archive does not hold; nothing was imported.",
            "Una fila del archivo se refiere a una fila que el archivo no contiene; no se "
            "importó nada.",
            "Uma linha do arquivo se refere a uma linha que o arquivo não contém; nada foi "
            "importado.",
        )
    elif kind == "CHECK":
        texts = msg(
            "A row of the archive breaks a rule of the schema (a value out of its range); "
            "nothing was imported.",
            "Una fila del archivo no cumple una regla del esquema (un valor fuera de su "
            "rango); no se importó nada.",
            "Uma linha do arquivo não cumpre uma regra do esquema (um valor fora da sua "
            "faixa); nada foi importado.",
        )
    else:
        return Conflict(
            msg(
                "The archive clashes with this deployment's data (an API client ID, a person "
                "or another unique value is taken); nothing was imported.",
                "El archivo choca con los datos de este despliegue (un ID de cliente de la "
                "API, una persona u otro valor único ya existe); no se importó nada.",
                "O arquivo colide com os dados desta implantação (um ID de cliente da API, "
                "uma pessoa ou outro valor único já existe); nada foi importado.",
            ),
            field="archive",
            details=details,
        )
    return BadUserInput(texts, field="archive", details=details)


def _remove(store: FileStore, keys: Iterable[str]) -> list[str]:
    """Delete the keys from the store; those that could not be deleted."""
    failed = []
    for key in keys:
        try:
            store.delete(key)
        except Exception:  # reported to the operator, not raised
            failed.append(key)
    return failed


# -- erasure ----------------------------------------------------------------------------------


async def delete_municipality(
    engine: AsyncEngine,
    store: FileStore,
    slug: str,
    *,
    by: Principal,
    versions: DataVersions | None = None,
) -> Summary:
    """Erase ``slug``: every row of it, its files, and the people who belonged to it alone.

    One transaction; a record of the erasure (who, when, how many rows) stays in
    ``platform_events``. Tokens of its people stop working at once: the municipality is
    unknown, and processes that cached it learn of the erasure through ``versions``.
    """
    async with engine.begin() as conn:
        municipality = await _find(conn, slug)
        municipality_id = municipality.id
        summary = Summary(municipality_id, slug)
        await _bind(conn, municipality_id, erasing=True)
        people = await _people_of(conn, municipality_id)
        providers = _table("identity_providers")
        issuers = set(
            (
                await conn.execute(
                    select(providers.c.issuer).where(providers.c.tenant_id == municipality_id)
                )
            ).scalars()
        )
        evidence = _table("evidence_files")
        keys = list(
            (
                await conn.execute(
                    select(evidence.c.storage_key).where(evidence.c.tenant_id == municipality_id)
                )
            ).scalars()
        )
        triggers = await _lift_sqlite_triggers(conn)
        for table in reversed(archived_tables()):
            if table.name in ("municipalities", "people"):
                continue
            column = (
                table.c.municipality_id if table.name == "consultant_grants" else table.c.tenant_id
            )
            result = await conn.execute(delete(table).where(column == municipality_id))
            summary.rows[table.name] = result.rowcount
        for statement in triggers:
            await conn.exec_driver_sql(statement)
        summary.rows["people"] = await _erase_people(conn, people, issuers)
        summaries = _table("municipality_summaries")  # the portfolio's figures of it
        await conn.execute(delete(summaries).where(summaries.c.municipality_id == municipality_id))
        await conn.execute(
            delete(_table("municipalities")).where(_table("municipalities").c.id == municipality_id)
        )
        summary.rows["municipalities"] = 1
        summary.files = len(keys)
        await _platform_event(
            conn,
            "municipality.deleted",
            municipality_id,
            slug,
            by,
            {"rows": summary.total_rows, "files": summary.files, "name": municipality.name},
        )
    for key in _remove(store, keys):
        summary.notes.append(f"file {key} could not be removed from the file store")
    if versions is not None:  # readers that cached the municipality drop it
        await versions.observe(municipality_id, municipality.data_version + 1)
    return summary


async def _lift_sqlite_triggers(conn: AsyncConnection) -> list[str]:
    """SQLite has no transaction settings: the append-only tables' DELETE triggers are dropped
    inside the erasure's transaction, and their exact statements returned to recreate them
    before it commits (so no other writer ever sees them missing). PostgreSQL needs none of
    this (``usina.erasing``)."""
    if conn.dialect.name != "sqlite":
        return []
    found = await conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
            "(SELECT value FROM json_each(:tables)) AND sql LIKE '%BEFORE DELETE%'"
        ),
        {"tables": json.dumps(_append_only_tables())},
    )
    statements = []
    for name, sql in found:
        await conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        statements.append(sql)
    return statements


async def _erase_people(conn: AsyncConnection, named: set[uuid.UUID], issuers: set[str]) -> int:
    """Delete the people the municipality's memberships and grants named, and those its own
    identity providers vouched for, unless they are the consultancy's staff or still belong
    to another municipality (a membership or grant there keeps them: the foreign key refuses,
    whatever row-level security hides)."""
    people = _table("people")
    candidates = set(named)
    if issuers:
        found = await conn.execute(select(people.c.id).where(people.c.issuer.in_(issuers)))
        candidates |= set(found.scalars())
    erased = 0
    for person_id in sorted(candidates):
        try:
            async with conn.begin_nested():
                result = await conn.execute(
                    delete(people).where(people.c.id == person_id, people.c.staff_role.is_(None))
                )
                erased += result.rowcount
        except IntegrityError:
            continue  # belongs elsewhere too
    return erased
