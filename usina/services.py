"""The domain services a plugin calls (plugin-author API).

Each service validates its input, applies the domain's rules and records its audit events;
called inside a unit of work (a mutation's ``info.context.transaction()`` or a job's session),
its change commits with its outbox, or not at all.

- ``audit``: ``record(session, by, action, entity, before=...)`` and ``snapshot(row)``;
- ``lookups``: ``get(session, Model, id, field=...)``, one row or ``NOT_FOUND``; ``locked``
  the same, locked until the transaction ends (for read-modify-write of derived values);
- ``validation``: the shared input checks (``text``, ``url``, ``percent``, ...), each raising
  ``BAD_USER_INPUT`` naming the field;
- ``milestones``, ``progress``, ``participation``: the same services the GraphQL API calls.
"""

from core import lookups, validation
from core.audit import service as audit
from core.milestones import service as milestones
from core.participation import service as participation
from core.progress import service as progress

__all__ = ["audit", "lookups", "milestones", "participation", "progress", "validation"]
