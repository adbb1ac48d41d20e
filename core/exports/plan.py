"""An action plan as open data.

CSV uses the columns of OGP's public commitment dataset, one row per commitment, so a
municipality's data joins OGP's. JSON (``usina.plan/1``, documented in ``docs/exports.md``)
carries the plan with its commitments, milestones and ratings. HTML is a printable report in
the municipality's language.
"""

from __future__ import annotations

import csv
import html
import io
import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core.actors.models import Actor
from core.commitments.models import Commitment
from core.enums import (
    CompletionLevel,
    EvaluationStatus,
    OgpValue,
)
from core.evaluation.models import Evaluation, Rating
from core.files.models import EvidenceFile
from core.i18n import Message, msg
from core.milestones.models import Milestone
from core.municipalities.models import Municipality
from core.plans import versions
from core.plans.models import ActionPlan
from core.progress import rollup
from core.progress.models import ProgressReport
from core.spreadsheets import RFC4180, Dialect, append_row, csv_cell
from core.words import (
    COMPLETION_LEVELS,
    MILESTONE_STATUSES,
    PLAN_STATUSES,
    capitalized,
    day,
    number,
    whole_percent,
)

FORMAT = "usina.plan/1"
OGP_COLUMNS = [
    "Commitment Unique Identifier",
    "Country/Locality",
    "Region",
    "Action Plan Number",
    "Commitment Number",
    "Commitment Title",
    "Short Title",
    "Full Text",
    "Theme",
    "Year Of Submission",
    "Lead Institution",
    "Supporting Institution(s)",
    "OGP Value Access To Information",
    "OGP Value Civic Participation",
    "OGP Value Public Accountability",
    "OGP Value Technology",
    "Specificity",
    "Potential Impact",
    "Completion",
    "Did It Open Government",
    "URL",
]
#: Our IRM-style criteria that fill OGP's rating columns (from the latest published
#: commitment evaluation).
RATING_COLUMNS = {
    "Specificity": "VERIFIABILITY",
    "Potential Impact": "POTENTIAL_FOR_RESULTS",
    "Completion": "COMPLETION",
    "Did It Open Government": "DID_IT_OPEN_GOVERNMENT",
}
#: Columns of ours after OGP's: where the commitment stands, in the export's language...
STATUS_COLUMNS = ["Status", "Progress", "Completion Level", "Start Date", "End Date"]
#: ... and the template's texts one by one (OGP's "Full Text" joins them), so that the file
#: imports back (``core/exports/imports.py``).
TEXT_COLUMNS = ["Problem", "Status Quo", "Objective", "Contribution"]
CSV_COLUMNS = OGP_COLUMNS + STATUS_COLUMNS + TEXT_COLUMNS
MILESTONE_COLUMNS = [
    "Commitment Number",
    "Milestone",
    "Deliverable",
    "Start Date",
    "End Date",
    "Weight",
    "Status",
    "Progress",
]
REPORT_COLUMNS = [
    "Commitment Number",
    "Milestone",
    "Reported At",
    "Percent",
    "Status",
    "Narrative",
    "Evidence",
]
#: The XLSX workbook's sheets, in order: one per level.
SHEETS = {"Commitments": CSV_COLUMNS, "Milestones": MILESTONE_COLUMNS, "Reports": REPORT_COLUMNS}
#: A commitment's standing, from its progress and its milestones' dates.
STANDING = {
    "NOT_STARTED": msg("Not started", "No iniciado", "Não iniciado"),
    "IN_PROGRESS": msg("In progress", "En curso", "Em andamento"),
    "DELAYED": msg("Delayed", "Demorado", "Atrasado"),
    "COMPLETED": msg("Completed", "Cumplido", "Cumprido"),
}
#: A rating's words: criterion code -> scale option code -> label (the frameworks' own).
Scales = Mapping[str, Mapping[str, Message]]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}


@dataclass
class PlanData:
    municipality: Municipality
    plan: ActionPlan
    plan_progress: float
    commitments: list[Commitment]
    progress: dict[uuid.UUID, float]
    milestones: dict[uuid.UUID, list[Milestone]]
    actors: dict[uuid.UUID, Actor]
    supporters: dict[uuid.UUID, list[uuid.UUID]]
    ratings: dict[uuid.UUID, dict[str, str | None]]
    #: Measured indicators (KPIs) per commitment: {framework, code, and the framework's data}.
    indicators: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    #: Each milestone's latest progress report (none for a milestone never reported on).
    latest_reports: dict[uuid.UUID, ProgressReport] = field(default_factory=dict)
    #: The words of ratings, from the frameworks that rate.
    scales: Scales = field(default_factory=dict)
    #: The day the export describes (a milestone past its end date then is delayed).
    today: date = field(default_factory=date.today)
    #: The published version exported (``core/exports/versioned.py``); ``None``: the plan now.
    version: int | None = None
    #: Cited files' stable public addresses, by file ID (when the export knows the public
    #: base URL and the plan is public); a file not here is cited by title and ID.
    files: dict[str, str] = field(default_factory=dict)

    @property
    def locale(self) -> str:
        return self.municipality.locale.value

    def standing(self, c: Commitment) -> str:
        progress = self.progress.get(c.id, 0.0)
        if rollup.completion_level(progress) is CompletionLevel.COMPLETE:
            return "COMPLETED"
        if any(m.is_delayed_on(self.today) for m in self.milestones.get(c.id, [])):
            return "DELAYED"
        return "IN_PROGRESS" if progress > 0 else "NOT_STARTED"

    def rating_words(self, criterion: str, value: str | None) -> str:
        if value is None:
            return ""
        label = self.scales.get(criterion, {}).get(value)
        return label.text(self.locale) if label is not None else value


async def load(
    session: AsyncSession,
    municipality: Municipality,
    plan_id: uuid.UUID,
    *,
    measuring: Collection[str] = (),
    scales: Scales | None = None,
    today: date | None = None,
    link_base: str | None = None,
) -> PlanData:
    """The plan's data for an export. ``measuring``: frameworks that measure (KPIs) rather
    than rate; their records become ``indicators``, not ``ratings``. ``scales``: the words of
    ratings (else codes are written)."""
    plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
    # What is published: commitments and milestones added since wait for the next version.
    tree = await versions.published(session, plan.id)
    commitments, milestones = tree.commitments, tree.milestones
    ids = [c.id for c in commitments]
    actors = {a.id: a for a in (await session.execute(select(Actor))).scalars()}
    ratings: dict[uuid.UUID, dict[str, str | None]] = {}
    indicators: dict[uuid.UUID, list[dict[str, Any]]] = {}
    published = await session.execute(
        select(
            Evaluation.commitment_id,
            Evaluation.framework,
            Rating.criterion,
            Rating.value,
            Rating.data,
        )
        .join(
            Rating,
            (Rating.tenant_id == Evaluation.tenant_id) & (Rating.evaluation_id == Evaluation.id),
        )
        .where(
            Evaluation.plan_id == plan.id,
            Evaluation.commitment_id.is_not(None),
            Evaluation.status == EvaluationStatus.PUBLISHED,
        )
        .order_by(Evaluation.id)  # later evaluations overwrite earlier ones
    )
    for commitment_id, framework, criterion, value, rating_data in published:
        if commitment_id is None:
            continue
        if framework in measuring:
            indicators.setdefault(commitment_id, []).append(
                {"framework": framework, "code": criterion, **(rating_data or {})}
            )
        else:
            ratings.setdefault(commitment_id, {})[criterion] = value
    latest: dict[uuid.UUID, ProgressReport] = {}
    milestone_ids = [m.id for ms in milestones.values() for m in ms]
    if milestone_ids:
        for report in (
            await session.execute(
                select(ProgressReport)
                .where(ProgressReport.milestone_id.in_(milestone_ids))
                .order_by(ProgressReport.reported_at, ProgressReport.id)
            )
        ).scalars():
            latest[report.milestone_id] = report  # the last one wins
    files: dict[str, str] = {}
    cited = {e["fileId"] for r in latest.values() for e in r.evidence if "fileId" in e}
    if link_base and plan.is_public and cited:
        rows = await session.execute(
            select(EvidenceFile.id, EvidenceFile.sha256).where(
                EvidenceFile.id.in_([uuid.UUID(f) for f in cited])
            )
        )
        files = {
            str(file_id): f"{link_base}/evidence/{municipality.slug}/{sha256}"
            for file_id, sha256 in rows.all()
        }
    return PlanData(
        municipality=municipality,
        plan=plan,
        plan_progress=(await rollup.progress_by_plan(session, [plan.id]))[plan.id],
        commitments=commitments,
        progress=await rollup.progress_by_commitment(session, ids) if ids else {},
        milestones=milestones,
        actors=actors,
        supporters=tree.supporters,
        ratings=ratings,
        indicators=indicators,
        latest_reports=latest,
        scales=scales or {},
        today=today or date.today(),
        files=files,
    )


def _ogp_row(data: PlanData, c: Commitment) -> dict[str, Any]:
    """OGP's dataset row: ratings as the scale's words in the export's language, completion
    known from progress when no evaluation rated it (the codes are the JSON's ``ratings``)."""
    m, p = data.municipality, data.plan
    lead = data.actors.get(c.lead_agency_id) if c.lead_agency_id else None
    values = set(c.ogp_values)
    row: dict[str, Any] = {
        "Commitment Unique Identifier": f"{m.slug}-{p.start_date.year}-{c.code}",
        "Country/Locality": f"{m.name} ({m.country})",
        "Region": m.region or "",
        "Action Plan Number": p.title,
        "Commitment Number": c.code,
        "Commitment Title": c.title,
        "Short Title": c.title[:80],
        "Full Text": "\n\n".join(t for t in (c.problem, c.status_quo, c.objective) if t),
        "Theme": "; ".join(c.tags),
        "Year Of Submission": (p.published_at or p.created_at).year,
        "Lead Institution": lead.name if lead else "",
        "Supporting Institution(s)": "; ".join(
            data.actors[a].name for a in data.supporters.get(c.id, []) if a in data.actors
        ),
        "OGP Value Access To Information": int(OgpValue.ACCESS_TO_INFORMATION in values),
        "OGP Value Civic Participation": int(OgpValue.CIVIC_PARTICIPATION in values),
        "OGP Value Public Accountability": int(OgpValue.PUBLIC_ACCOUNTABILITY in values),
        "OGP Value Technology": int(OgpValue.TECHNOLOGY_AND_INNOVATION in values),
        "URL": m.website or "",
    }
    rated = data.ratings.get(c.id, {})
    level = rollup.completion_level(data.progress.get(c.id, 0.0))
    for column, criterion in RATING_COLUMNS.items():
        value = rated.get(criterion)
        if value is None and criterion == "COMPLETION":  # known without an evaluation
            value = level.value
        row[column] = data.rating_words(criterion, value)
    return {column: row[column] for column in OGP_COLUMNS}


def _csv_row(data: PlanData, c: Commitment, dialect: Dialect = RFC4180) -> dict[str, Any]:
    level = rollup.completion_level(data.progress.get(c.id, 0.0))
    return _ogp_row(data, c) | {
        "Status": STANDING[data.standing(c)].text(data.locale),
        "Progress": f"{data.progress.get(c.id, 0.0):.2f}".replace(".", dialect.decimal),
        "Completion Level": capitalized(COMPLETION_LEVELS[level].text(data.locale)),
        "Start Date": _iso(c.start_date),
        "End Date": _iso(c.end_date),
        "Problem": c.problem,
        "Status Quo": c.status_quo,
        "Objective": c.objective,
        "Contribution": c.contribution,
    }


def _milestone_rows(data: PlanData) -> list[list[Any]]:
    return [
        [
            c.code,
            m.title,
            m.deliverable,
            _iso(m.start_date),
            _iso(m.end_date),
            m.weight,
            capitalized(MILESTONE_STATUSES[m.status].text(data.locale)),
            round(m.progress, 2),
        ]
        for c in data.commitments
        for m in data.milestones.get(c.id, [])
    ]


def _report_rows(data: PlanData) -> list[list[Any]]:
    rows = []
    for c in data.commitments:
        for m in data.milestones.get(c.id, []):
            report = data.latest_reports.get(m.id)
            if report is None:
                continue
            rows.append(
                [
                    c.code,
                    m.title,
                    report.reported_at.isoformat(timespec="seconds"),
                    round(report.percent, 2),
                    capitalized(MILESTONE_STATUSES[report.status].text(data.locale)),
                    report.narrative,
                    " ".join(_evidence_reference(e, data.files) for e in report.evidence),
                ]
            )
    return rows


def _evidence_reference(evidence: dict[str, Any], files: Mapping[str, str]) -> str:
    """A link's URL; an uploaded file's stable public address (``/evidence/{slug}/{sha256}``,
    which never expires), or, where the export has none, its title and ID."""
    if "url" in evidence:
        return str(evidence["url"])
    address = files.get(str(evidence.get("fileId")))
    if address is not None:
        return address
    return f"{evidence.get('title') or ''} [file:{evidence.get('fileId')}]".strip()


def to_xlsx(data: PlanData) -> bytes:
    """A workbook with a sheet per level: commitments (the CSV's columns), milestones, and
    each milestone's latest report. Cells are text and numbers; dates are ISO text, as in the
    CSV, so both files read and import alike."""
    book = Workbook()
    sheets = iter(SHEETS.items())
    title, columns = next(sheets)
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    append_row(sheet, columns)
    for c in data.commitments:
        row = _csv_row(data, c)
        append_row(sheet, [row[column] for column in columns])
    for (title, columns), rows in zip(
        sheets, (_milestone_rows(data), _report_rows(data)), strict=True
    ):
        sheet = book.create_sheet(title)
        append_row(sheet, columns)
        for values in rows:
            append_row(sheet, values)
    for sheet in book.worksheets:
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(data: PlanData, dialect: Dialect = RFC4180) -> bytes:
    """OGP's commitment-dataset columns, then ours; UTF-8 with a byte-order mark, so that a
    spreadsheet opens the accents right; in ``dialect`` (``core.spreadsheets``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n", delimiter=dialect.delimiter
    )
    writer.writeheader()
    for commitment in data.commitments:
        row = _csv_row(data, commitment, dialect)
        writer.writerow({k: csv_cell(v, dialect) for k, v in row.items()})
    return buffer.getvalue().encode("utf-8-sig")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def to_json(data: PlanData) -> bytes:
    m, p = data.municipality, data.plan
    document = {
        "format": FORMAT,
        "municipality": {"slug": m.slug, "name": m.name, "country": m.country, "region": m.region},
        "actionPlan": {
            "id": str(p.id),
            "title": p.title,
            "summary": p.summary,
            "status": p.status.value,
            "startDate": _iso(p.start_date),
            "endDate": _iso(p.end_date),
            "progress": round(data.plan_progress, 2),
        },
        "commitments": [
            {
                "id": str(c.id),
                "code": c.code,
                "title": c.title,
                "problem": c.problem,
                "statusQuo": c.status_quo,
                "objective": c.objective,
                "ogpValues": list(c.ogp_values),
                "tags": list(c.tags),
                "startDate": _iso(c.start_date),
                "endDate": _iso(c.end_date),
                "progress": round(data.progress.get(c.id, 0.0), 2),
                "ratings": data.ratings.get(c.id, {}),
                "indicators": data.indicators.get(c.id, []),
                "milestones": [
                    {
                        "id": str(ms.id),
                        "title": ms.title,
                        "startDate": _iso(ms.start_date),
                        "endDate": _iso(ms.end_date),
                        "weight": ms.weight,
                        "status": ms.status.value,
                        "progress": ms.progress,
                    }
                    for ms in data.milestones.get(c.id, [])
                ],
                "completionLevel": rollup.completion_level(data.progress.get(c.id, 0.0)).value,
                # The CSV's row, word for word: one export does not contradict another.
                "ogpDataset": _ogp_row(data, c),
            }
            for c in data.commitments
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


LABELS = {
    "es": {
        "report": "Informe del plan de acción",
        "progress": "Avance",
        "period": "Período",
        "status": "Estado",
        "commitment": "Compromiso",
        "lead": "Institución responsable",
        "milestones": "Hitos",
        "milestone": "Hito",
        "end": "Fin",
        "indicators": "Indicadores",
        "indicator": "Indicador",
        "baseline": "Línea de base",
        "target": "Meta",
        "latest": "Última medición",
    },
    "en": {
        "report": "Action plan report",
        "progress": "Progress",
        "period": "Period",
        "status": "Status",
        "commitment": "Commitment",
        "lead": "Lead institution",
        "milestones": "Milestones",
        "milestone": "Milestone",
        "end": "End",
        "indicators": "Indicators",
        "indicator": "Indicator",
        "baseline": "Baseline",
        "target": "Target",
        "latest": "Latest measurement",
    },
    "pt": {
        "report": "Relatório do plano de ação",
        "progress": "Avanço",
        "period": "Período",
        "status": "Estado",
        "commitment": "Compromisso",
        "lead": "Instituição responsável",
        "milestones": "Marcos",
        "milestone": "Marco",
        "end": "Fim",
        "indicators": "Indicadores",
        "indicator": "Indicador",
        "baseline": "Linha de base",
        "target": "Meta",
        "latest": "Última medição",
    },
}


def _measure(value: Any, unit: str, locale: str) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{number(value, locale)} {unit}".strip()


def _indicator_table(indicators: list[dict[str, Any]], t: dict[str, str], locale: str) -> str:
    """A commitment's measured indicators (KPIs): baseline, target, latest measurement."""
    e = html.escape
    rows = []
    for item in indicators:
        unit = str(item.get("unit") or "")
        measured = sorted(item.get("measurements") or [], key=lambda m: str(m.get("on", "")))
        latest = measured[-1] if measured else None
        on = str(latest.get("on", "")) if latest else ""
        when = f" ({e(day(date.fromisoformat(on), locale))})" if on else ""
        rows.append(
            f"<tr><td>{e(str(item.get('code', '')))} {e(str(item.get('name', '')))}</td>"
            f"<td>{e(_measure(item.get('baseline'), unit, locale))}</td>"
            f"<td>{e(_measure(item.get('target'), unit, locale))}</td>"
            f"<td>{e(_measure(latest.get('value') if latest else None, unit, locale))}{when}"
            "</td></tr>"
        )
    return (
        f"<h3>{e(t['indicators'])}</h3><table><tr><th>{e(t['indicator'])}</th>"
        f"<th>{e(t['baseline'])}</th><th>{e(t['target'])}</th><th>{e(t['latest'])}</th></tr>"
        f"{''.join(rows)}</table>"
    )


def to_html(data: PlanData) -> bytes:
    m, p = data.municipality, data.plan
    t = LABELS.get(m.locale.value, LABELS["en"])
    e = html.escape
    parts = [
        "<!doctype html>",
        f'<html lang="{e(m.locale.value)}"><head><meta charset="utf-8">',
        f"<title>{e(p.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em}"
        "@media print{section{page-break-inside:avoid}}</style></head><body>",
        f"<p>{e(t['report'])} · {e(m.name)}</p>",
        f"<h1>{e(p.title)}</h1>",
        f"<p>{e(t['period'])}: {e(day(p.start_date, m.locale.value))} &ndash; "
        f"{e(day(p.end_date, m.locale.value))} · {e(t['status'])}: "
        f"{e(capitalized(PLAN_STATUSES[p.status].text(m.locale.value)))} · {e(t['progress'])}: "
        f"{whole_percent(data.plan_progress)} %</p>",
    ]
    if p.summary:
        parts.append(f"<p>{e(p.summary)}</p>")
    for c in data.commitments:
        lead = data.actors.get(c.lead_agency_id) if c.lead_agency_id else None
        parts.append("<section>")
        parts.append(f"<h2>{e(t['commitment'])} {e(c.code)}: {e(c.title)}</h2>")
        parts.append(
            f"<p>{e(t['lead'])}: {e(lead.name) if lead else '—'} · {e(t['progress'])}: "
            f"{whole_percent(data.progress.get(c.id, 0.0))} % · {e(t['status'])}: "
            f"{e(STANDING[data.standing(c)].text(m.locale.value))}</p>"
        )
        if c.objective:
            parts.append(f"<p>{e(c.objective)}</p>")
        rows = "".join(
            f"<tr><td>{e(ms.title)}</td><td>{e(day(ms.end_date, m.locale.value))}</td>"
            f"<td>{e(capitalized(MILESTONE_STATUSES[ms.status].text(m.locale.value)))}</td>"
            f"<td>{whole_percent(ms.progress)} %</td></tr>"
            for ms in data.milestones.get(c.id, [])
        )
        parts.append(
            f"<h3>{e(t['milestones'])}</h3><table><tr><th>{e(t['milestone'])}</th>"
            f"<th>{e(t['end'])}</th>"
            f"<th>{e(t['status'])}</th><th>{e(t['progress'])}</th></tr>{rows}</table>"
        )
        indicators = data.indicators.get(c.id, [])
        if indicators:
            parts.append(_indicator_table(indicators, t, m.locale.value))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


BUILDERS = {"csv": to_csv, "json": to_json, "html": to_html, "xlsx": to_xlsx}


def filename(data: PlanData, fmt: str) -> str:
    suffix = f"-v{data.version}" if data.version is not None else ""
    return f"{data.municipality.slug}-plan-{data.plan.start_date.year}{suffix}.{fmt}"
