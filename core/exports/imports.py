"""Importing a plan's commitments and milestones from the CSV or XLSX its export writes.

Commitments are matched by code (``Commitment Number``) and milestones by their commitment's
code and their title: a match is updated, anything else created, nothing deleted. Every row is
tried, each in a savepoint, through the same services as the API (so the same checks, and an
audit event per change); if any row is bad, everything is undone and every bad row reported
(row, column, code, message in both languages). Columns the export derives (progress, ratings,
statuses, OGP's joined "Full Text") are read and ignored, so export -> import -> export gives
the same file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core.actors.models import Actor
from core.audit.service import PENDING_EVENTS
from core.commitments import service as commitments
from core.commitments.models import Commitment, CommitmentSupporter
from core.enums import OgpValue
from core.errors import BadUserInput, NotFound, UsinaError
from core.exports.plan import CSV_COLUMNS, MILESTONE_COLUMNS, TEXT_COLUMNS
from core.i18n import Message, msg
from core.identity.principal import Principal
from core.jobs.service import PENDING_JOBS
from core.milestones import service as milestones
from core.milestones.models import Milestone
from core.plans import lifecycle
from core.plans.models import ActionPlan
from core.spreadsheets import from_csv_cell

FORMATS = ("csv", "xlsx")
#: OGP's value columns -> the value.
VALUE_COLUMNS = {
    "OGP Value Access To Information": OgpValue.ACCESS_TO_INFORMATION,
    "OGP Value Civic Participation": OgpValue.CIVIC_PARTICIPATION,
    "OGP Value Public Accountability": OgpValue.PUBLIC_ACCOUNTABILITY,
    "OGP Value Technology": OgpValue.TECHNOLOGY_AND_INNOVATION,
}
TEXTS = dict(zip(TEXT_COLUMNS, ("problem", "status_quo", "objective", "contribution"), strict=True))
REQUIRED = ("Commitment Number", "Commitment Title", "Start Date", "End Date")
MILESTONE_REQUIRED = ("Commitment Number", "Milestone", "Start Date", "End Date")
#: A service's field -> the column it came from.
COMMITMENT_FIELDS = {
    "code": "Commitment Number",
    "title": "Commitment Title",
    "startDate": "Start Date",
    "endDate": "End Date",
    "tags": "Theme",
    "leadAgencyId": "Lead Institution",
    "supportingActorIds": "Supporting Institution(s)",
    **{name: column for column, name in TEXTS.items()},
}
MILESTONE_FIELDS = {
    "title": "Milestone",
    "deliverable": "Deliverable",
    "startDate": "Start Date",
    "endDate": "End Date",
    "weight": "Weight",
    "commitmentId": "Commitment Number",
}
YES = {"1", "yes", "true", "sí", "si", "x"}
NO = {"0", "no", "false", ""}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    code: str
    message: Message
    sheet: str = "Commitments"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message": self.message.as_dict(),
        }


@dataclass
class Sheet:
    name: str
    columns: list[str]
    #: (row number as a spreadsheet shows it, the header being 1; values by column)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": not self.errors,
            "created": self.created if not self.errors else 0,
            "updated": self.updated if not self.errors else 0,
            "unchanged": self.unchanged if not self.errors else 0,
            "errors": [e.as_dict() for e in self.errors],
        }


def _bad_file(en: str, es: str, pt: str) -> BadUserInput:
    return BadUserInput(msg(en, es, pt), field="content")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read(content: bytes, fmt: str) -> list[Sheet]:
    """The file's sheets: the commitments (a CSV has only those), then the milestones."""
    if fmt == "csv":
        text = _csv_text(content)
        reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
        rows = [[from_csv_cell(value) for value in row] for row in reader]
        return [_sheet("Commitments", rows)]
    if fmt != "xlsx":
        raise BadUserInput(
            msg("Import CSV or XLSX.", "Importe CSV o XLSX.", "Importe CSV ou XLSX."),
            field="format",
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is no workbook
        raise _bad_file(
            "The file is not an XLSX workbook.",
            "El archivo no es un libro XLSX.",
            "O arquivo não é uma pasta de trabalho XLSX.",
        ) from None
    if "Commitments" not in book.sheetnames:
        raise _bad_file(
            "The workbook has no 'Commitments' sheet.",
            "El libro no tiene la hoja 'Commitments'.",
            "A pasta de trabalho não tem a planilha 'Commitments'.",
        )
    sheets = []
    for name in ("Commitments", "Milestones"):
        if name in book.sheetnames:
            rows = [[_cell(v) for v in row] for row in book[name].iter_rows(values_only=True)]
            sheets.append(_sheet(name, rows))
    return sheets


def _csv_text(content: bytes) -> str:
    """UTF-8 (with or without the byte-order mark Excel's "CSV UTF-8" writes), UTF-16 with
    its byte-order mark (Excel's "Unicode text"), else Windows-1252: what Excel in Spanish or
    Portuguese writes for plain "CSV". Binary content (a NUL byte) is no CSV."""
    refused = _bad_file(
        "The file is not CSV text (UTF-8, UTF-16 or Windows-1252).",
        "El archivo no es texto CSV (UTF-8, UTF-16 o Windows-1252).",
        "O arquivo não é texto CSV (UTF-8, UTF-16 ou Windows-1252).",
    )
    try:
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = content.decode("utf-16")
        else:
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = content.decode("cp1252")
    except UnicodeDecodeError:
        raise refused from None
    if "\x00" in text:
        raise refused
    return text


def _delimiter(text: str) -> str:
    """The header line's separator: a comma, a semicolon (Excel where the decimal mark is a
    comma: Spanish, Portuguese) or a tab, whichever it holds most of outside quotes."""
    header = text.split("\n", 1)[0]
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    return max((",", ";", "\t"), key=outside.count)


def _sheet(name: str, rows: list[list[str]]) -> Sheet:
    if not rows:
        raise _bad_file(
            f"The sheet '{name}' is empty.",
            f"La hoja '{name}' está vacía.",
            f"A planilha '{name}' está vazia.",
        )
    header = [h.strip() for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    sheet = Sheet(name, header)
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue  # a blank line
        sheet.rows.append((number, dict(zip(header, (v.strip() for v in values), strict=False))))
    return sheet


def _check_header(sheet: Sheet, known: list[str], required: tuple[str, ...]) -> list[RowError]:
    errors = []
    for column in sheet.columns:
        if column not in known:
            errors.append(
                RowError(
                    1,
                    column,
                    BadUserInput.code,
                    msg(
                        f"Unknown column '{column}' (the export's columns are expected).",
                        f"Columna desconocida '{column}' (se esperan las de la exportación).",
                        f"Coluna desconhecida '{column}' (esperam-se as da exportação).",
                    ),
                    sheet.name,
                )
            )
    for column in required:
        if column not in sheet.columns:
            errors.append(
                RowError(
                    1,
                    column,
                    BadUserInput.code,
                    msg(
                        f"Column '{column}' is missing.",
                        f"Falta la columna '{column}'.",
                        f"Falta a coluna '{column}'.",
                    ),
                    sheet.name,
                )
            )
    return errors


class _RowRefused(Exception):
    def __init__(self, column: str, error: UsinaError) -> None:
        self.column, self.error = column, error


#: A day-first date as Spanish and Portuguese spreadsheets write it: 31/03/2026, 31-03-2026.
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _date(row: dict[str, str], column: str) -> date:
    value = row.get(column, "").strip()
    try:
        day_first = _DAY_FIRST.match(value)
        if day_first is not None:
            day, month, year = (int(part) for part in day_first.groups())
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        raise _RowRefused(
            column,
            BadUserInput(
                msg(
                    "A date like 2026-03-31 or 31/03/2026 is needed.",
                    "Se necesita una fecha como 2026-03-31 o 31/03/2026.",
                    "É preciso uma data como 2026-03-31 ou 31/03/2026.",
                )
            ),
        ) from None


def _number(value: str) -> float:
    """A number with a decimal point or, as Spanish and Portuguese write it, a comma."""
    text = value.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    return float(text)


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


@asynccontextmanager
async def _undoable(session: AsyncSession) -> AsyncIterator[Any]:
    """A savepoint whose rollback also forgets the audit events and jobs written inside it
    (the unit of work would otherwise announce changes that did not happen)."""
    events = len(session.info.get(PENDING_EVENTS, []))
    queued = len(session.info.get(PENDING_JOBS, []))
    savepoint = await session.begin_nested()
    try:
        yield savepoint
    except BaseException:
        await savepoint.rollback()
        del session.info.setdefault(PENDING_EVENTS, [])[events:]
        del session.info.setdefault(PENDING_JOBS, [])[queued:]
        raise


class _Undo(Exception):
    """Raised to undo a whole import that had a bad row."""


class Importer:
    def __init__(self, session: AsyncSession, by: Principal, plan: ActionPlan) -> None:
        self.session, self.by, self.plan = session, by, plan
        self.report = ImportReport()
        self.actors: dict[str, uuid.UUID] = {}
        self.codes: dict[str, uuid.UUID] = {}

    async def run(self, sheets: list[Sheet]) -> ImportReport:
        known = {"Commitments": CSV_COLUMNS, "Milestones": MILESTONE_COLUMNS}
        needed = {"Commitments": REQUIRED, "Milestones": MILESTONE_REQUIRED}
        for sheet in sheets:
            self.report.errors += _check_header(sheet, known[sheet.name], needed[sheet.name])
        if self.report.errors:
            return self.report
        rows = await self.session.execute(select(Actor.id, func.lower(Actor.name)))
        self.actors = {name: actor_id for actor_id, name in rows.all()}
        existing = await self.session.execute(
            select(Commitment.code, Commitment.id).where(Commitment.plan_id == self.plan.id)
        )
        self.codes = dict(existing.all())
        try:
            async with _undoable(self.session):
                for sheet in sheets:
                    for number, row in sheet.rows:
                        await self._row(sheet.name, number, row)
                if self.report.errors:
                    raise _Undo
        except _Undo:
            pass
        return self.report

    async def _row(self, sheet: str, number: int, row: dict[str, str]) -> None:
        fields = COMMITMENT_FIELDS if sheet == "Commitments" else MILESTONE_FIELDS
        try:
            async with _undoable(self.session):
                if sheet == "Commitments":
                    outcome = await self._commitment(row)
                else:
                    outcome = await self._milestone(row)
            setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        except _RowRefused as refused:
            self._refuse(sheet, number, refused.column, refused.error)
        except UsinaError as error:
            column = fields.get(error.field or "", error.field)
            self._refuse(sheet, number, column, error)

    def _refuse(self, sheet: str, number: int, column: str | None, error: UsinaError) -> None:
        self.report.errors.append(RowError(number, column, error.code, error.message, sheet))

    def _actor(self, column: str, name: str) -> uuid.UUID:
        actor_id = self.actors.get(name.lower())
        if actor_id is None:
            raise _RowRefused(
                column,
                NotFound(
                    msg(
                        f"No actor is named '{name}': create it first (createActor).",
                        f"Ningún actor se llama '{name}': créelo antes (createActor).",
                        f"Nenhum ator se chama '{name}': crie-o antes (createActor).",
                    )
                ),
            )
        return actor_id

    def _values(self, row: dict[str, str]) -> list[str]:
        values = []
        for column, value in VALUE_COLUMNS.items():
            cell = row.get(column, "").lower()
            if cell in YES:
                values.append(value.value)
            elif cell not in NO:
                raise _RowRefused(
                    column,
                    BadUserInput(msg("Write 1 or 0.", "Escriba 1 o 0.", "Escreva 1 ou 0.")),
                )
        return sorted(values)

    async def _commitment(self, row: dict[str, str]) -> str:
        lead = row.get("Lead Institution", "")
        wanted: dict[str, Any] = {
            "code": row.get("Commitment Number", ""),
            "title": row.get("Commitment Title", ""),
            "start_date": _date(row, "Start Date"),
            "end_date": _date(row, "End Date"),
            "tags": _list(row.get("Theme", "")),
            "ogp_values": self._values(row),
            "lead_agency_id": self._actor("Lead Institution", lead) if lead else None,
            "supporting_actor_ids": [
                self._actor("Supporting Institution(s)", name)
                for name in _list(row.get("Supporting Institution(s)", ""))
            ],
        }
        for column, name in TEXTS.items():
            if column in row:
                wanted[name] = row[column]
        found = self.codes.get(wanted["code"])
        if found is None:
            created = await commitments.create(
                self.session,
                self.by,
                commitments.CommitmentData(plan_id=self.plan.id, **wanted),
            )
            self.codes[created.code] = created.id
            return "created"
        current = await lookups.get(self.session, Commitment, found)
        supporters = list(
            (
                await self.session.execute(
                    select(CommitmentSupporter.actor_id)
                    .where(CommitmentSupporter.commitment_id == found)
                    .order_by(CommitmentSupporter.position)
                )
            ).scalars()
        )
        changes = {
            k: v
            for k, v in wanted.items()
            if (supporters if k == "supporting_actor_ids" else getattr(current, k)) != v
        }
        if not changes:
            return "unchanged"
        await commitments.update(self.session, self.by, found, changes)
        return "updated"

    async def _milestone(self, row: dict[str, str]) -> str:
        code = row.get("Commitment Number", "")
        commitment_id = self.codes.get(code)
        if commitment_id is None:
            raise _RowRefused(
                "Commitment Number",
                NotFound(
                    msg(
                        f"The plan has no commitment '{code}'.",
                        f"El plan no tiene el compromiso '{code}'.",
                        f"O plano não tem o compromisso '{code}'.",
                    )
                ),
            )
        try:
            weight = _number(row.get("Weight") or "1")
        except ValueError:
            raise _RowRefused(
                "Weight",
                BadUserInput(
                    msg("The weight is a number.", "El peso es un número.", "O peso é um número.")
                ),
            ) from None
        wanted: dict[str, Any] = {
            "title": row.get("Milestone", ""),
            "deliverable": row.get("Deliverable", ""),
            "start_date": _date(row, "Start Date"),
            "end_date": _date(row, "End Date"),
            "weight": weight,
        }
        found = (
            (
                await self.session.execute(
                    select(Milestone)
                    .where(
                        Milestone.commitment_id == commitment_id,
                        Milestone.title == wanted["title"],
                    )
                    .order_by(Milestone.created_at, Milestone.id)
                )
            )
            .scalars()
            .first()
        )
        if found is None:
            await milestones.create(
                self.session,
                self.by,
                milestones.MilestoneData(commitment_id=commitment_id, **wanted),
            )
            return "created"
        changes = {k: v for k, v in wanted.items() if getattr(found, k) != v}
        if not changes:
            return "unchanged"
        await milestones.update(self.session, self.by, found.id, changes)
        return "updated"


async def import_plan(
    session: AsyncSession, by: Principal, plan_id: uuid.UUID, content: bytes, fmt: str
) -> ImportReport:
    """Create or update the plan's commitments and milestones from ``content``; all rows or
    none (see the module's docstring)."""
    plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
    lifecycle.require_editable(plan)
    return await Importer(session, by, plan).run(read(content, fmt))
