"""Reporting progress on a milestone: append a report, and make it the milestone's state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.db.base import utcnow
from core.enums import MilestoneStatus
from core.errors import BadUserInput
from core.files.models import EvidenceFile
from core.i18n import msg
from core.identity.principal import Principal
from core.milestones.models import Milestone
from core.plans import lifecycle
from core.plans.models import ActionPlan
from core.progress.models import ProgressReport
from core.words import MILESTONE_STATUSES, each

MAX_EVIDENCE = 20


@dataclass(frozen=True)
class Evidence:
    """A link, or an uploaded file of the milestone (``file_id``, from ``uploadEvidence``)."""

    url: str = ""
    title: str = ""
    file_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ReportData:
    milestone_id: uuid.UUID
    percent: float
    status: MilestoneStatus | None = None
    narrative: str = ""
    evidence: list[Evidence] = field(default_factory=list)


def derive_status(percent: float, status: MilestoneStatus | None) -> MilestoneStatus:
    """The report's status: given, or read from the percent; they must not contradict."""
    if status is None:
        if percent == 0:
            return MilestoneStatus.NOT_STARTED
        return MilestoneStatus.COMPLETED if percent == 100 else MilestoneStatus.IN_PROGRESS
    contradiction = (
        (status is MilestoneStatus.COMPLETED and percent != 100)
        or (status is MilestoneStatus.NOT_STARTED and percent != 0)
        or (status is MilestoneStatus.IN_PROGRESS and percent == 100)
    )
    if contradiction:
        en, es, pt = each(MILESTONE_STATUSES, status)
        raise BadUserInput(
            msg(
                f"A report of a milestone '{en}' cannot be at {percent:g}%.",
                f"Un informe de un hito '{es}' no puede estar al {percent:g}%.",
                f"Um relatório de um marco '{pt}' não pode estar em {percent:g}%.",
            ),
            field="status",
        )
    return status


async def _evidence(
    session: AsyncSession, milestone_id: uuid.UUID, items: list[Evidence]
) -> list[dict[str, str]]:
    """Links and cited files, in the order given."""
    if len(items) > MAX_EVIDENCE:
        raise BadUserInput(
            msg(
                f"At most {MAX_EVIDENCE} links.",
                f"Como máximo {MAX_EVIDENCE} enlaces.",
                f"No máximo {MAX_EVIDENCE} links.",
            ),
            field="evidence",
        )
    out = []
    for item in items:
        if item.file_id is None:
            out += v.links("evidence", [item], max_items=1)
            continue
        if item.url:
            raise BadUserInput(
                msg(
                    "Give a URL or a file, not both.",
                    "Indique una URL o un archivo, no ambos.",
                    "Indique uma URL ou um arquivo, não ambos.",
                ),
                field="evidence.fileId",
            )
        row = await lookups.get(session, EvidenceFile, item.file_id, field="evidence.fileId")
        if row.milestone_id != milestone_id:
            raise BadUserInput(
                msg(
                    "The file was uploaded for another milestone.",
                    "El archivo se subió para otro hito.",
                    "O arquivo foi enviado para outro marco.",
                ),
                field="evidence.fileId",
            )
        title = v.text("evidence.title", item.title, max_length=300, required=False)
        out.append({"fileId": str(row.id), "title": title or row.filename})
    return out


async def report(
    session: AsyncSession, by: Principal, data: ReportData
) -> tuple[ProgressReport, Milestone]:
    """Append a report and copy it into the milestone's state; returns both."""
    percent = v.percent("percent", data.percent)
    status = derive_status(percent, data.status)
    narrative = v.text("narrative", data.narrative, max_length=20_000, required=False)
    # Locked: concurrent reports take turns, so the milestone's state is its latest report's
    # (the time is read once the lock is held).
    milestone = await lookups.locked(session, Milestone, data.milestone_id, field="milestoneId")
    plan = await lookups.get(session, ActionPlan, milestone.plan_id)
    lifecycle.require_reporting(plan)
    evidence = await _evidence(session, milestone.id, data.evidence)
    now = utcnow()
    entry = ProgressReport(
        plan_id=milestone.plan_id,
        milestone_id=milestone.id,
        percent=percent,
        status=status,
        narrative=narrative,
        evidence=evidence,
        author_subject=by.subject,
        reported_at=now,
    )
    session.add(entry)
    before = audit.snapshot(milestone)
    milestone.status = status
    milestone.progress = percent
    milestone.last_reported_at = now
    await session.flush()
    audit.record(session, by, "progress_report.create", entry)
    audit.record(session, by, "milestone.progress", milestone, before=before)
    return entry, milestone
