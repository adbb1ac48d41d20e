"""What spreadsheets receive (issue 33): no cell a spreadsheet would evaluate, on both
databases; export then import gives back the same titles; exports of reports that cite an
uploaded file work; whatever a row holds can be written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from core.commitments import service as commitments
from core.enums import Locale
from core.exports import imports
from core.exports import plan as exports
from core.files.service import upload_evidence
from core.files.store import LocalFileStore
from core.identity.principal import SYSTEM
from core.municipalities.models import Municipality
from core.plans import service as plans
from core.progress import service as progress
from core.spreadsheets import FORMULA_STARTS, RFC4180, Dialect, append_row, csv_cell, from_csv_cell
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import END, START, World
from workers.exports import rating_words

REGISTRY = make_plugin_manager()
#: Titles a hostile or careless editor writes (a tab or CR in front is trimmed when stored).
TITLES = [
    '=HYPERLINK("http://example.invalid","Clic aquí")',
    "+54 11 5555-0000",
    "-1 cuota",
    "@SUM(A1:A9)",
    "'entre comillas'",
    "=1+2",
    "Título normal",
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def as_exported(session: Any, world: World, plan_id: Any) -> exports.PlanData:
    """A's plan ``plan_id`` as its export loads it."""
    municipality = await session.get(Municipality, world.a.municipality.id)
    assert municipality is not None
    return await exports.load(
        session,
        municipality,
        plan_id,
        measuring=REGISTRY.measuring_frameworks(),
        scales=rating_words(REGISTRY),
    )


async def hostile_plan(db: Database, world: World) -> exports.PlanData:
    binding = world.a.binding
    async with db.session(binding) as session:
        plan = await plans.create(
            session,
            SYSTEM,
            plans.PlanData(title="Plan de fórmulas", start_date=START, end_date=END),
        )
        for number, title in enumerate(TITLES, start=1):
            await commitments.create(
                session,
                SYSTEM,
                commitments.CommitmentData(
                    plan_id=plan.id,
                    code=f"F{number}",
                    title=title,
                    start_date=START,
                    end_date=END,
                ),
            )
        await session.commit()
        return await as_exported(session, world, plan.id)


async def imported_into_a_new_plan(
    db: Database, world: World, content: bytes, title: str
) -> exports.PlanData:
    """``content`` (a CSV) imported into a new draft plan of A, with no row refused, and that
    plan loaded as its export sees it."""
    async with db.session(world.a.binding) as session:
        target = await plans.create(
            session, SYSTEM, plans.PlanData(title=title, start_date=START, end_date=END)
        )
        report = await imports.import_plan(session, SYSTEM, target.id, content, "csv")
        assert report.errors == [], report.as_dict()
        await session.commit()
        return await as_exported(session, world, target.id)


async def test_no_exported_cell_is_a_formula_and_import_gives_the_titles_back(
    db: Database, world: World
) -> None:
    data = await hostile_plan(db, world)
    content = exports.to_csv(data)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS[:-1]), cell  # a spreadsheet reads text
    book = load_workbook(io.BytesIO(exports.to_xlsx(data)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    titles = {c.title for c in data.commitments}
    assert titles == set(TITLES)

    imported = await imported_into_a_new_plan(db, world, content, "Plan importado")
    assert {c.title for c in imported.commitments} == set(TITLES)


def test_a_csv_cell_round_trips() -> None:
    for text in [*TITLES, "''dos", "\t=tab", "normal", ""]:
        assert from_csv_cell(csv_cell(text)) == text
    assert csv_cell(12.5) == 12.5 and csv_cell(-3) == -3  # numbers stay numbers


def test_an_xlsx_row_takes_whatever_a_row_holds() -> None:
    sheet = Workbook().active
    assert sheet is not None
    append_row(sheet, ["=1+2", "control \x01 char", "lone \ud800", 7])
    (cells,) = sheet.iter_rows(values_only=True)
    assert cells == ("=1+2", "control  char", "lone \ufffd", 7)
    assert [c.data_type for c in sheet[1]] == ["s", "s", "s", "n"]


async def test_exports_of_a_report_citing_an_uploaded_file_work(
    db: Database, world: World, tmp_path: Path
) -> None:
    """The headline evidence feature: a report citing an uploaded PDF (the XLSX job failed
    three times with KeyError: 'url')."""
    store = LocalFileStore(tmp_path)
    async with db.session(world.a.binding) as session:
        uploaded = await upload_evidence(
            session, SYSTEM, store, world.a.milestone_id, "informe.pdf", PDF, max_bytes=10_000
        )
        await progress.report(
            session,
            SYSTEM,
            progress.ReportData(
                milestone_id=world.a.milestone_id,
                percent=60,
                evidence=[
                    progress.Evidence(file_id=uploaded.id, title="Informe de avance"),
                    progress.Evidence(url="https://rioclaro.example/acta", title="Acta"),
                ],
            ),
        )
        await session.commit()
        data = await as_exported(session, world, world.a.plan_id)
    for locale in (Locale.ES, Locale.EN, Locale.PT):  # every language a municipality speaks
        data.municipality.locale = locale
        book = load_workbook(io.BytesIO(exports.to_xlsx(data)), read_only=True)
        reports = list(book["Reports"].iter_rows(values_only=True))
        cited = reports[1][-1]
        assert f"file:{uploaded.id}" in cited and "https://rioclaro.example/acta" in cited
        for dialect in (RFC4180, Dialect.excel(locale.value)):
            text = exports.to_csv(data, dialect).decode("utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(text), delimiter=dialect.delimiter))
            assert [row["Commitment Title"] for row in rows] == ["Compromiso a"]
        document = json.loads(exports.to_json(data))
        assert document["commitments"][0]["milestones"][0]["progress"] == 60
        report = exports.to_html(data).decode()
        assert f'<html lang="{locale.value}">' in report and "Compromiso a" in report


async def test_a_csv_saved_by_a_spanish_excel_imports(db: Database, world: World) -> None:
    """Issue 33: Excel in Spanish or Portuguese saves "CSV" with semicolons, decimal commas,
    day-first dates and Windows-1252; the import reads it as it reads its own export."""
    import re

    data = await hostile_plan(db, world)
    ours = list(csv.reader(io.StringIO(exports.to_csv(data).decode("utf-8-sig"))))

    def as_excel_es(cell: str) -> str:
        iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", cell)
        if iso:
            return f"{iso[3]}/{iso[2]}/{iso[1]}"
        if re.fullmatch(r"\d+\.\d+", cell):
            return cell.replace(".", ",")
        return cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(ours[0])
    writer.writerows([as_excel_es(cell) for cell in row] for row in ours[1:])
    content = buffer.getvalue().encode("cp1252")
    assert b";" in content.splitlines()[0] and b"\xed" in content  # "í" in Windows-1252

    imported = await imported_into_a_new_plan(db, world, content, "Desde Excel")
    assert {(c.title, c.start_date, c.end_date) for c in imported.commitments} == {
        (c.title, c.start_date, c.end_date) for c in data.commitments
    }


async def test_the_excel_dialect_is_the_one_a_spanish_excel_opens_and_it_imports_back(
    db: Database, world: World
) -> None:
    """``?dialect=excel``: in Spanish, ``;`` between columns and a decimal comma, as Excel es/pt
    writes and opens CSV; the import reads it back to the same plan."""
    data = await hostile_plan(db, world)
    dialect = Dialect.excel("es")
    assert (dialect.delimiter, dialect.decimal) == (";", ",")
    assert (Dialect.excel("pt").delimiter, Dialect.excel("en").delimiter) == (";", ",")
    content = exports.to_csv(data, dialect)
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert header == exports.CSV_COLUMNS
    progress = header.index("Progress")
    assert {row[progress] for row in rows} == {"0,00"}
    assert csv_cell(12.5, dialect) == "12,5" and csv_cell(12.5) == 12.5
    imported = await imported_into_a_new_plan(db, world, content, "Plan desde Excel")
    assert {c.title for c in imported.commitments} == set(TITLES)
