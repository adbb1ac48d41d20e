"""Jobs that changes call for: derived values are recomputed when their inputs change."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.kinds import RECOMPUTE

#: The core's audit actions whose change moves what evaluations derive (progress); plugins add
#: theirs (``PluginInfo.recompute_after``, e.g. a KPI's new value).
RECOMPUTE_AFTER = frozenset({"progress_report.create"})


async def queue(
    session: AsyncSession,
    events: Sequence[AuditEvent],
    recompute_after: Collection[str] = RECOMPUTE_AFTER,
) -> int:
    """One recompute per plan touched in this transaction by an action of
    ``recompute_after``."""
    plans = sorted(
        {
            str((event.after or {})["plan_id"])
            for event in events
            if event.action in recompute_after and (event.after or {}).get("plan_id")
        }
    )
    for plan_id in plans:
        await jobs.enqueue(session, SYSTEM, RECOMPUTE, {"plan_id": plan_id})
    return len(plans)
