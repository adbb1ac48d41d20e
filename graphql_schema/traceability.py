"""Traceability both ways: the gaps and contributions a commitment answers."""

from __future__ import annotations

import uuid

import strawberry

from core.commitments.links import CommitmentGap as GapRow
from core.diagnostics.models import Assessment as AssessmentRow
from graphql_schema.context import Info
from graphql_schema.diagnostics.types import (
    Assessment,
    Dimension,
    Indicator,
    dimension_type,
    indicator_type,
)
from graphql_schema.rows import from_row


@strawberry.type(description="An indicator of an assessment that a commitment addresses.")
class CommitmentGap:
    indicator_code: str
    indicator: Indicator | None
    dimension: Dimension | None
    assessment: Assessment | None


async def gaps_of(info: Info, commitment_id: uuid.UUID) -> list[CommitmentGap]:
    links: list[GapRow] = await info.context.loaders.children(GapRow, "commitment_id").load(
        commitment_id
    )
    assessments = await info.context.loaders.get(AssessmentRow).load_many(
        [g.assessment_id for g in links]
    )
    out = []
    for link, assessment in zip(links, assessments, strict=True):
        found = info.context.plugins.instrument(assessment.instrument) if assessment else None
        spec = found[1] if found else None
        indicator = spec.indicator(link.indicator) if spec else None
        dimension = spec.dimension_of(link.indicator) if spec else None
        out.append(
            CommitmentGap(
                indicator_code=link.indicator,
                indicator=indicator_type(indicator) if indicator else None,
                dimension=dimension_type(dimension) if dimension else None,
                assessment=from_row(Assessment, assessment) if assessment else None,
            )
        )
    return out
