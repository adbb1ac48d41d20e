"""``exports.plan``: a plan as OGP's CSV, JSON or printable HTML, kept for a signed download."""

from __future__ import annotations

from typing import Any

from core.exports import plan as exports
from core.jobs.kinds import EXPORT
from core.jobs.models import ExportFile
from plugins.manager import PluginRegistry
from plugins.records import JobContext, JobSpec


def export_plan(registry: PluginRegistry) -> JobSpec:
    async def run(ctx: JobContext) -> dict[str, Any]:
        return await _export(ctx, registry.measuring_frameworks())

    return JobSpec(name=EXPORT, run=run, max_attempts=3, time_limit_seconds=300)


async def _export(ctx: JobContext, measuring: frozenset[str]) -> dict[str, Any]:
    plan_id = ctx.uuid_arg("plan_id")
    fmt = str(ctx.args.get("format", "csv")).lower()
    if plan_id is None or fmt not in exports.BUILDERS:
        raise ValueError(f"bad export arguments: {dict(ctx.args)}")
    data = await exports.load(ctx.session, ctx.municipality, plan_id, measuring=measuring)
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
