"""``exports.plan``: a plan as OGP's CSV, JSON or printable HTML, kept for a signed download."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.exports import plan as exports
from core.exports.versioned import at_version
from core.i18n import Message
from core.jobs.kinds import EXPORT
from core.jobs.models import ExportFile
from core.plans import versions
from plugins.manager import PluginRegistry
from plugins.records import JobContext, JobSpec


def rating_words(registry: PluginRegistry) -> exports.Scales:
    """The words of every commitment criterion's scale, from the frameworks that rate."""
    scales: dict[str, dict[str, Message]] = {}
    for _, spec in registry.frameworks.values():
        if spec.measures:
            continue
        for criterion in spec.criteria.get("COMMITMENT", ()):
            words = scales.setdefault(criterion.code, {})
            words.update({option.code: option.label for option in criterion.scale})
    return scales


def export_plan(registry: PluginRegistry) -> JobSpec:
    async def run(ctx: JobContext) -> dict[str, Any]:
        return await _export(ctx, registry.measuring_frameworks(), rating_words(registry))

    return JobSpec(name=EXPORT, run=run, max_attempts=3, time_limit_seconds=300)


async def _export(
    ctx: JobContext, measuring: frozenset[str], scales: exports.Scales
) -> dict[str, Any]:
    plan_id = ctx.uuid_arg("plan_id")
    fmt = str(ctx.args.get("format", "csv")).lower()
    if plan_id is None or fmt not in exports.BUILDERS:
        raise ValueError(f"bad export arguments: {dict(ctx.args)}")
    data = await exports.load(
        ctx.session,
        ctx.municipality,
        plan_id,
        measuring=measuring,
        scales=scales,
        today=datetime.now(ZoneInfo(ctx.municipality.timezone)).date(),
        # Cited files by their stable public address, where the deployment says where it is.
        link_base=ctx.settings.link_base(),
    )
    number = ctx.args.get("version")
    if number is not None:
        kept = await versions.by_number(ctx.session, plan_id, int(number))
        data = at_version(data, kept)
    content = exports.BUILDERS[fmt](data)
    row = ExportFile(
        job_id=ctx.job_id,
        filename=exports.filename(data, fmt),
        media_type=exports.MEDIA_TYPES[fmt],
        content=content,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return {"fileId": str(row.id), "filename": row.filename, "bytes": len(content)}
