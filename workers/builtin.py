"""The built-in jobs, one module per kind: scores (``scoring.py``), exports (``exports.py``),
notifications (``notifications.py``, with ``mail.py`` and ``webhooks.py``) and monitoring
(``monitoring.py``).

Each is idempotent: database effects commit with the job's success (see ``runtime.py``);
outside effects (an e-mail, a webhook call) go through a delivery row that is sent once and
marked sent, so a duplicate message finds it sent.
"""

from __future__ import annotations

from core.jobs.kinds import DELAYS, DELIVER, DIGEST, EXPORT, IMPORT, RECOMPUTE
from plugins.manager import PluginRegistry
from plugins.records import JobSpec
from workers.exports import export_plan
from workers.imports import import_spec
from workers.monitoring import monitor_delays, weekly_digest
from workers.notifications import deliver, delivery_failed
from workers.scoring import recompute

__all__ = [
    "DELAYS",
    "DELIVER",
    "DIGEST",
    "EXPORT",
    "IMPORT",
    "RECOMPUTE",
    "all_specs",
    "builtin_specs",
]


def builtin_specs(registry: PluginRegistry) -> list[JobSpec]:
    return [
        recompute(registry),
        export_plan(registry),
        import_spec(),
        JobSpec(
            name=DELIVER,
            run=deliver,
            on_failure=delivery_failed,
            max_attempts=6,
            time_limit_seconds=60,
            min_backoff_seconds=5,
            max_backoff_seconds=3600,
        ),
        JobSpec(name=DELAYS, run=monitor_delays, max_attempts=3, time_limit_seconds=600),
        JobSpec(name=DIGEST, run=weekly_digest, max_attempts=3, time_limit_seconds=600),
    ]


def all_specs(registry: PluginRegistry) -> dict[str, JobSpec]:
    specs = {spec.name: spec for spec in builtin_specs(registry)}
    for name, (_, spec) in registry.jobs.items():
        if name in specs:
            raise ValueError(f"a plugin's job {name!r} is named like a built-in one")
        specs[name] = spec
    return specs
