"""A plan's commitments filtered by what staff and portals ask about: a tag, the lead agency,
an OGP value, the completion level, delayed milestones.

Completion and delays are derived (from the milestones' weighted progress and dates), and tags
and values are lists, so the filter runs over the plan's commitments as loaded through the
request's batched loaders (a plan holds tens of commitments, not thousands); paging is the same
keyset as the unfiltered list (by code), so a cursor of one works with the other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from core.commitments.models import Commitment as CommitmentRow
from core.enums import CompletionLevel, OgpValue
from core.milestones.models import Milestone as MilestoneRow
from core.milestones.models import is_delayed
from core.progress import rollup
from graphql_schema.commitments.types import Commitment
from graphql_schema.context import Info
from graphql_schema.loaders import COMMITMENTS
from graphql_schema.pagination import page_args
from graphql_schema.relay import Connection, PageInfo
from graphql_schema.rows import from_row


@dataclass(frozen=True)
class CommitmentFilter:
    tag: str | None = None
    lead_agency_id: uuid.UUID | None = None
    ogp_value: OgpValue | None = None
    completion_levels: frozenset[CompletionLevel] = frozenset()
    delayed: bool | None = None

    @property
    def is_empty(self) -> bool:
        return self == CommitmentFilter()


async def _kept(info: Info, rows: list[Any], wanted: CommitmentFilter) -> list[Any]:
    loaders = info.context.loaders
    rows = [
        r
        for r in rows
        if (wanted.tag is None or wanted.tag in r.tags)
        and (wanted.lead_agency_id is None or r.lead_agency_id == wanted.lead_agency_id)
        and (wanted.ogp_value is None or wanted.ogp_value.value in r.ogp_values)
    ]
    if wanted.completion_levels and rows:
        progress = await loaders.commitment_progress.load_many([r.id for r in rows])
        rows = [
            r
            for r, value in zip(rows, progress, strict=True)
            if rollup.completion_level(value) in wanted.completion_levels
        ]
    if wanted.delayed is not None and rows:
        today = info.context.today()
        milestones = await loaders.children(MilestoneRow, "commitment_id").load_many(
            [r.id for r in rows]
        )
        rows = [
            r
            for r, own in zip(rows, milestones, strict=True)
            if any(is_delayed(m.end_date, m.status, today) for m in own) is wanted.delayed
        ]
    return rows


async def filtered_commitments(
    info: Info,
    plan_id: uuid.UUID,
    wanted: CommitmentFilter,
    first: int | None,
    after: str | None,
) -> Connection[Commitment]:
    args = page_args(COMMITMENTS, first, after, max_page=info.context.settings.max_page_size)
    every = await info.context.loaders.children(CommitmentRow, "plan_id", ("code", "id")).load(
        plan_id
    )
    kept = sorted(await _kept(info, list(every), wanted), key=lambda r: (r.code, r.id))
    keys = [(r.code, r.id) for r in kept]
    start = 0 if args.after is None else sum(1 for key in keys if key <= args.after)
    page = list(zip(kept, keys, strict=True))[start : start + args.first]
    total = len(kept)
    return Connection(
        items=[from_row(Commitment, row) for row, _ in page],
        keys=[key for _, key in page],
        page_info=PageInfo(
            has_next_page=start + len(page) < total,
            has_previous_page=args.after is not None,
            start_key=page[0][1] if page else None,
            end_key=page[-1][1] if page else None,
        ),
        count=lambda: total,
    )
