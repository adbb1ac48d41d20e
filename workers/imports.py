"""``imports.plan``: a plan's commitments and milestones from the CSV or XLSX its export
writes (``core/exports/imports.py``); the job's result reports what changed, or every bad row
when nothing did."""

from __future__ import annotations

import base64
from typing import Any

from core.exports import imports
from core.identity.principal import Principal
from core.identity.roles import Role
from core.jobs.kinds import IMPORT
from plugins.records import JobContext, JobSpec


async def import_plan(ctx: JobContext) -> dict[str, Any]:
    plan_id = ctx.uuid_arg("plan_id")
    if plan_id is None:
        raise ValueError(f"bad import arguments: {sorted(ctx.args)}")
    # The changes are the editor's who asked: audited in their name.
    by = Principal(subject=str(ctx.args["by"]), role=Role(str(ctx.args["role"])))
    content = base64.b64decode(str(ctx.args["content"]))
    report = await imports.import_plan(ctx.session, by, plan_id, content, str(ctx.args["format"]))
    return report.as_dict()


def import_spec() -> JobSpec:
    return JobSpec(name=IMPORT, run=import_plan, max_attempts=3, time_limit_seconds=300)
