"""The record of a consultation, as OGP's co-creation standards ask a municipality to publish
it: every contribution the public can read, its supports, the reasoned response it received
and the commitments it led to, as CSV, XLSX and JSON.

Authors are anonymised: a contribution is signed "Participant 3", the same number for every
contribution of one person in the channel, in the order they first took part; no account,
name or e-mail leaves the municipality. Contributions a moderator hid, or still has to read,
are not in the record (they are not public); supports and votes are counted, not listed.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core.commitments.links import CommitmentContribution
from core.commitments.models import Commitment
from core.enums import ContributionKind, Moderation, ResponseOutcome
from core.i18n import Message, msg
from core.municipalities.models import Municipality
from core.participation.models import Channel, Contribution
from core.plans import versions
from core.spreadsheets import RFC4180, Dialect, append_row, csv_row
from core.words import capitalized

FORMAT = "usina.consultation-record/1"
COLUMNS = [
    "Reference",
    "Kind",
    "Title",
    "Text",
    "Author",
    "Submitted",
    "In Reply To",
    "Supports",
    "Response",
    "Reasoned Response",
    "Responded",
    "Merged Into",
    "Commitments",
]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
#: The kinds the record lists, one row each (supports and votes are counted on their proposal).
LISTED = (ContributionKind.PROPOSAL, ContributionKind.COMMENT, ContributionKind.MEETING)
KINDS: dict[ContributionKind, Message] = {
    ContributionKind.PROPOSAL: msg("Proposal", "Propuesta", "Proposta"),
    ContributionKind.COMMENT: msg("Comment", "Comentario", "Comentário"),
    ContributionKind.MEETING: msg("Meeting", "Reunión", "Reunião"),
}
OUTCOMES: dict[ResponseOutcome | None, Message] = {
    ResponseOutcome.ACCEPTED: msg(
        "Accepted into the plan", "Incorporada al plan", "Incorporada ao plano"
    ),
    ResponseOutcome.MERGED: msg(
        "Merged into another proposal", "Integrada en otra propuesta", "Integrada em outra proposta"
    ),
    ResponseOutcome.DECLINED: msg("Not taken up", "No incorporada", "Não incorporada"),
    None: msg("Awaiting a response", "Pendiente de respuesta", "Aguardando resposta"),
}
PARTICIPANT = msg("Participant {n}", "Participante {n}", "Participante {n}")


@dataclass
class RecordData:
    municipality: Municipality
    channel: Channel
    contributions: list[Contribution]
    supports: dict[uuid.UUID, int]
    #: contribution -> the published commitments that take it up, as (code, title)
    commitments: dict[uuid.UUID, list[tuple[str, str]]]
    #: account -> its number in the channel (never written out itself)
    authors: dict[str, int] = field(default_factory=dict)
    #: contribution -> its reference number in the record (1, 2, ... in order of submission)
    references: dict[uuid.UUID, int] = field(default_factory=dict)

    @property
    def locale(self) -> str:
        return self.municipality.locale.value

    def author(self, c: Contribution) -> str:
        return PARTICIPANT.text(self.locale).format(n=self.authors[c.author_subject])

    def reference(self, contribution_id: uuid.UUID | None) -> int | None:
        return self.references.get(contribution_id) if contribution_id else None


async def load(
    session: AsyncSession, municipality: Municipality, channel_id: uuid.UUID
) -> RecordData:
    """The channel's record as the session's reader may see it (the open-data route reads as
    the public: a channel of a draft plan is not found)."""
    channel = await lookups.get(session, Channel, channel_id, field="channelId")
    rows = list(
        (
            await session.execute(
                select(Contribution)
                .where(
                    Contribution.channel_id == channel.id,
                    Contribution.kind.in_(LISTED),
                    Contribution.moderation == Moderation.PUBLISHED,
                )
                .order_by(Contribution.created_at, Contribution.id)
            )
        ).scalars()
    )
    ids = [c.id for c in rows]
    supports: dict[uuid.UUID, int] = {}
    commitments: dict[uuid.UUID, list[tuple[str, str]]] = {}
    if ids:
        counted = await session.execute(
            select(Contribution.parent_id, func.count())
            .where(
                Contribution.parent_id.in_(ids),
                Contribution.kind == ContributionKind.SUPPORT,
                Contribution.moderation == Moderation.PUBLISHED,
            )
            .group_by(Contribution.parent_id)
        )
        supports = {parent: int(n) for parent, n in counted.all() if parent is not None}
        # Commitments as the public reads them: the plan's published version.
        published = {
            c.id: c for c in (await versions.published(session, channel.plan_id)).commitments
        }
        links = await session.execute(
            select(CommitmentContribution.contribution_id, CommitmentContribution.commitment_id)
            .where(CommitmentContribution.contribution_id.in_(ids))
            .order_by(CommitmentContribution.commitment_id)
        )
        for contribution_id, commitment_id in links.all():
            commitment: Commitment | None = published.get(commitment_id)
            if commitment is not None:
                commitments.setdefault(contribution_id, []).append(
                    (commitment.code, commitment.title)
                )
    data = RecordData(municipality, channel, rows, supports, commitments)
    for number, contribution in enumerate(rows, start=1):
        data.references[contribution.id] = number
        data.authors.setdefault(contribution.author_subject, len(data.authors) + 1)
    return data


def _iso(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _commitments(data: RecordData, c: Contribution) -> str:
    return "; ".join(f"{code}. {title}" for code, title in data.commitments.get(c.id, []))


def rows(data: RecordData) -> list[list[Any]]:
    """The record's rows, in the order of ``COLUMNS``; words in the municipality's language."""
    locale = data.locale
    out = []
    for c in data.contributions:
        proposal = c.kind is ContributionKind.PROPOSAL
        out.append(
            [
                data.references[c.id],
                KINDS[c.kind].text(locale),
                c.title,
                c.body,
                data.author(c),
                _iso(c.created_at),
                data.reference(c.parent_id),
                data.supports.get(c.id, 0) if proposal else None,
                capitalized(OUTCOMES[c.outcome].text(locale)) if proposal else "",
                c.response,
                _iso(c.responded_at),
                data.reference(c.merged_into_id),
                _commitments(data, c),
            ]
        )
    return out


def to_csv(data: RecordData, dialect: Dialect = RFC4180) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheets open the accents right); text that a
    spreadsheet would evaluate is neutralised; in ``dialect`` (``core.spreadsheets``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=dialect.delimiter)
    writer.writerow(COLUMNS)
    writer.writerows(csv_row(row, dialect) for row in rows(data))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(data: RecordData) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Contributions"
    append_row(sheet, COLUMNS)
    for row in rows(data):
        append_row(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_json(data: RecordData) -> bytes:
    m, ch = data.municipality, data.channel
    locale = data.locale
    document = {
        "format": FORMAT,
        "municipality": {"slug": m.slug, "name": m.name, "country": m.country},
        "channel": {
            "id": str(ch.id),
            "kind": ch.kind,
            "title": ch.title,
            "description": ch.description,
            "opensAt": ch.opens_at.isoformat(),
            "closesAt": ch.closes_at.isoformat(),
            "actionPlanId": str(ch.plan_id),
        },
        "participants": len(data.authors),
        "contributions": [
            {
                "reference": data.references[c.id],
                "kind": c.kind.value,
                "kindText": KINDS[c.kind].text(locale),
                "title": c.title,
                "text": c.body,
                "author": data.author(c),
                "submittedAt": c.created_at.isoformat(),
                "inReplyTo": data.reference(c.parent_id),
                "supports": data.supports.get(c.id, 0),
                "outcome": c.outcome.value if c.outcome else None,
                "outcomeText": (
                    capitalized(OUTCOMES[c.outcome].text(locale))
                    if c.kind is ContributionKind.PROPOSAL
                    else None
                ),
                "response": c.response,
                "respondedAt": c.responded_at.isoformat() if c.responded_at else None,
                "mergedInto": data.reference(c.merged_into_id),
                "commitments": [
                    {"code": code, "title": title} for code, title in data.commitments.get(c.id, [])
                ],
            }
            for c in data.contributions
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


BUILDERS = {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}


def filename(data: RecordData, fmt: str) -> str:
    return f"{data.municipality.slug}-consultation-{data.channel.id}.{fmt}"
