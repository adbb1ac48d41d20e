"""Importing a plan from the CSV or XLSX its export writes, through GraphQL and the real job
runtime (PostgreSQL as the restricted role, and SQLite): export -> import -> export gives the
same file; changed and new rows are applied; one bad row and nothing changes, every bad row
reported."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import httpx
from openpyxl import load_workbook

from core.exports import plan as exports
from core.identity.tokens import TokenService
from core.jobs.models import Job
from core.settings import Settings
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.core.test_exports import plan_data
from tests.factories import World, error_codes, gql, publish_changes
from tests.tenants.test_isolation import snapshot
from tests.workers.test_jobs import Recorder, runtime_for
from workers.builtin import IMPORT

REGISTRY = make_plugin_manager()
IMPORT_PLAN = (
    "mutation($p: ID!, $f: ImportFormat!, $c: Base64!) { importActionPlan(input: "
    "{actionPlanId: $p, format: $f, content: $c}) { job { id status } } }"
)


async def exported(db: Database, world: World, fmt: str) -> bytes:
    return exports.BUILDERS[fmt](await plan_data(db, world))


async def imported(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    settings: Settings,
    content: bytes,
    fmt: str = "CSV",
) -> dict[str, Any]:
    """Ask for the import as an editor, run its job, return the job's result."""
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    asked = await gql(
        client,
        IMPORT_PLAN,
        {"p": a.gid("ActionPlan"), "f": fmt, "c": base64.b64encode(content).decode()},
        token=editor,
    )
    assert error_codes(asked) == [], asked
    job_id = asked["data"]["importActionPlan"]["job"]["id"]
    from core.ids import from_global_id

    _, key = from_global_id(job_id, field="id")
    await runtime_for(settings, db, Recorder()).run(IMPORT, str(a.municipality.id), str(key))
    async with db.session(a.binding) as session:
        job = await session.get(Job, (a.municipality.id, key))
    assert job is not None and job.status.value == "SUCCEEDED", job and job.error
    assert job.result is not None
    return dict(job.result)


def csv_rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def write_csv(columns: list[str], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


async def test_csv_export_import_export_round_trips_and_applies_changes(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    worker_settings: Settings,
) -> None:
    first = await exported(db, world, "csv")
    result = await imported(client, db, world, tokens, worker_settings, first)
    assert result == {"imported": True, "created": 0, "updated": 0, "unchanged": 1, "errors": []}
    assert await exported(db, world, "csv") == first  # byte for byte

    columns, rows = csv_rows(first)
    rows[0]["Commitment Title"] = "Compromiso a, revisado"
    rows[0]["Theme"] = "datos; transparencia"
    rows.append(
        rows[0]
        | {
            "Commitment Number": "2",
            "Commitment Title": "Presupuesto abierto",
            "Lead Institution": "",
            "OGP Value Civic Participation": "1",
            "Problem": "No se publica el presupuesto.",
        }
    )
    result = await imported(client, db, world, tokens, worker_settings, write_csv(columns, rows))
    assert (result["imported"], result["created"], result["updated"]) == (True, 1, 1)
    # The plan is published: the import changed its draft, which the public reads once published.
    _, waiting = csv_rows(await exported(db, world, "csv"))
    assert [(r["Commitment Number"], r["Commitment Title"]) for r in waiting] == [
        ("1", "Compromiso a")
    ]
    await publish_changes(db, world.a)
    _, again = csv_rows(await exported(db, world, "csv"))
    assert [(r["Commitment Number"], r["Commitment Title"], r["Theme"]) for r in again] == [
        ("1", "Compromiso a, revisado", "datos; transparencia"),
        ("2", "Presupuesto abierto", "datos; transparencia"),
    ]
    assert again[1]["OGP Value Civic Participation"] == "1"
    assert again[1]["Problem"] == "No se publica el presupuesto."


async def test_one_bad_row_and_nothing_changes(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    worker_settings: Settings,
) -> None:
    columns, rows = csv_rows(await exported(db, world, "csv"))
    good = rows[0] | {"Commitment Title": "Cambiado"}
    bad_date = rows[0] | {"Commitment Number": "7", "Start Date": "31/02/2026"}  # no such day
    no_actor = rows[0] | {"Commitment Number": "8", "Lead Institution": "Ministerio Inexistente"}
    before = await snapshot(db, world.a)
    result = await imported(
        client, db, world, tokens, worker_settings, write_csv(columns, [good, bad_date, no_actor])
    )
    assert result["imported"] is False
    assert [(e["row"], e["column"], e["code"]) for e in result["errors"]] == [
        (3, "Start Date", "BAD_USER_INPUT"),
        (4, "Lead Institution", "NOT_FOUND"),
    ]
    assert set(result["errors"][1]["message"]) == {"en", "es", "pt"}
    after = await snapshot(db, world.a)
    for state in (before, after):  # the import's own job and its audit are bookkeeping
        state.pop("jobs", None)
        state.pop("audit_events", None)
    assert after == before


async def test_xlsx_export_import_export_round_trips_cell_for_cell(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    worker_settings: Settings,
) -> None:
    def cells(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
        book = load_workbook(io.BytesIO(content), read_only=True)
        return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}

    first = await exported(db, world, "xlsx")
    result = await imported(client, db, world, tokens, worker_settings, first, "XLSX")
    assert result["imported"] is True and result["errors"] == []
    assert result["unchanged"] == 2  # the commitment and its milestone
    assert cells(await exported(db, world, "xlsx")) == cells(first)


async def test_the_job_does_not_repeat_the_file(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    content = base64.b64encode(b"Commitment Number,Commitment Title,Start Date,End Date\r\n")
    asked = await gql(
        client,
        "mutation($p: ID!, $c: Base64!) { importActionPlan(input: {actionPlanId: $p, "
        "format: CSV, content: $c}) { job { args } } }",
        {"p": world.a.gid("ActionPlan"), "c": content.decode()},
        token=editor,
    )
    args = asked["data"]["importActionPlan"]["job"]["args"]
    assert args["content"] == {"omitted": True, "base64Length": len(content)}
    assert args["format"] == "csv"


async def test_a_file_that_is_no_spreadsheet_is_refused_at_once(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    for fmt, content in (("XLSX", b"no soy un libro"), ("CSV", b"\xff\xfe\x00")):
        result = await gql(
            client,
            IMPORT_PLAN,
            {"p": world.a.gid("ActionPlan"), "f": fmt, "c": base64.b64encode(content).decode()},
            token=editor,
        )
        assert error_codes(result) == ["BAD_USER_INPUT"], result
        assert result["errors"][0]["extensions"]["field"] == "content"
