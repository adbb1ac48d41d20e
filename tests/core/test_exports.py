"""Open data that people open: the CSV read back with Python's ``csv`` module (the byte-order
mark, OGP's columns then ours, ratings in words of the municipality's language), and the HTML
report with every label translated (PostgreSQL and SQLite)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import update

from core.enums import Locale
from core.exports import plan as exports
from core.milestones.models import Milestone
from core.municipalities.models import Municipality
from core.words import day
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import END, START, TODAY, World
from workers.exports import rating_words

REGISTRY = make_plugin_manager()


async def plan_data(db: Database, world: World, **ratings: str) -> exports.PlanData:
    a = world.a
    async with db.session(a.binding) as session:
        municipality = await session.get(Municipality, a.municipality.id)
        assert municipality is not None
        data = await exports.load(
            session,
            municipality,
            a.plan_id,
            measuring=REGISTRY.measuring_frameworks(),
            scales=rating_words(REGISTRY),
        )
    if ratings:
        data.ratings[a.commitment_id] = dict(ratings)
    return data


def rows_of(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # so a spreadsheet reads UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_the_csv_has_ogps_columns_then_ours_with_ratings_in_words(
    db: Database, world: World
) -> None:
    data = await plan_data(db, world)
    (row,) = rows_of(exports.to_csv(data))
    assert list(row) == exports.OGP_COLUMNS + exports.STATUS_COLUMNS + exports.TEXT_COLUMNS
    # No published evaluation: completion is still known from progress (one milestone, 30 %).
    assert row["Completion"] == "Limitado"
    assert (row["Specificity"], row["Potential Impact"]) == ("", "")
    assert row["Status"] == "En curso"
    assert (row["Progress"], row["Completion Level"]) == ("30.00", "Limitado")
    assert row["Start Date"] < row["End Date"]
    assert row["Lead Institution"] == "Secretaría a"

    rated = await plan_data(
        db, world, VERIFIABILITY="VERIFIABLE", POTENTIAL_FOR_RESULTS="MODEST", COMPLETION="COMPLETE"
    )
    (row,) = rows_of(exports.to_csv(rated))
    assert (row["Specificity"], row["Potential Impact"], row["Completion"]) == (
        "Verificable",
        "Modesto",
        "Completo",
    )
    # The JSON keeps the codes in its ratings, and its OGP row says what the CSV says.
    (commitment,) = json.loads(exports.to_json(rated))["commitments"]
    assert commitment["ratings"]["VERIFIABILITY"] == "VERIFIABLE"
    assert commitment["ogpDataset"]["Specificity"] == "Verificable"


async def test_a_delayed_commitment_says_so(db: Database, world: World) -> None:
    async with db.session(world.a.binding) as session:
        await session.execute(
            update(Milestone)
            .where(Milestone.id == world.a.milestone_id)
            .values(end_date=TODAY - timedelta(days=1))
        )
    (row,) = rows_of(exports.to_csv(await plan_data(db, world)))
    assert row["Status"] == "Demorado"


async def test_the_html_report_speaks_the_municipalitys_language(
    db: Database, world: World
) -> None:
    report = exports.to_html(await plan_data(db, world)).decode()
    assert "Estado: Publicado" in report
    assert "<th>Hito</th>" in report and "<th></th>" not in report
    assert "<td>En curso</td>" in report  # the milestone's status, in words
    # Dates as people read them ("7 de octubre de 2027"), never ISO.
    assert f"<td>{day(END, 'es')}</td>" in report and " de " in day(END, "es")
    assert END.isoformat() not in report and START.isoformat() not in report
    for code in ("PUBLISHED", "IN_PROGRESS", "NOT_STARTED", "COMPLETED"):
        assert code not in report


async def test_a_portuguese_speaking_municipality_s_exports_speak_portuguese(
    db: Database, world: World
) -> None:
    data = await plan_data(db, world)
    data.municipality.locale = Locale.PT  # the loaded copy only: nothing is saved
    report = exports.to_html(data).decode()
    assert "Estado: Publicado" in report and "<th>Marco</th>" in report
    assert "<td>Em andamento</td>" in report
    (row,) = rows_of(exports.to_csv(data))
    assert (row["Status"], row["Completion Level"]) == ("Em andamento", "Limitado")


async def test_the_workbook_has_a_sheet_per_level(db: Database, world: World) -> None:
    from openpyxl import load_workbook

    data = await plan_data(db, world)
    book = load_workbook(io.BytesIO(exports.to_xlsx(data)), read_only=True)
    assert book.sheetnames == ["Commitments", "Milestones", "Reports"]
    commitments = list(book["Commitments"].iter_rows(values_only=True))
    assert list(commitments[0]) == exports.CSV_COLUMNS
    (csv_row,) = rows_of(exports.to_csv(data))
    # The same cells as the CSV (as text, where the workbook keeps a number).
    cells = {
        k: "" if v is None else str(v) for k, v in zip(commitments[0], commitments[1], strict=True)
    }
    assert cells == csv_row
    milestones = list(book["Milestones"].iter_rows(values_only=True))
    assert list(milestones[0]) == exports.MILESTONE_COLUMNS
    assert milestones[1][:2] == ("1", "Hito") and milestones[1][6:] == ("En curso", 30)
    reports = list(book["Reports"].iter_rows(values_only=True))
    assert list(reports[0]) == exports.REPORT_COLUMNS
    assert (reports[1][0], reports[1][1], reports[1][3]) == ("1", "Hito", 30)
