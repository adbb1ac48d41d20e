"""Fairness between municipalities: each has its own budget of requests in hand at once.

Every GraphQL request takes a slot of its municipality's budget
(``max_concurrent_per_municipality``) before its body is read, and holds it until it is
answered: reading, refusing, validating and executing it are all its municipality's cost. A
municipality whose slots are all taken queues its own callers (within their deadline, or up to
``municipality_queue_seconds``, then ``SERVICE_UNAVAILABLE`` with ``Retry-After``), while the
others' requests never wait behind it: one municipality's flood, or its expensive documents,
slow its own callers, not everyone's. Each serving process keeps its own budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from core.errors import ServiceUnavailable
from core.i18n import msg


def busy(seconds: float) -> ServiceUnavailable:
    return ServiceUnavailable(
        msg(
            f"This municipality has too many requests running; none began within {seconds:g} s. "
            "Nothing was changed; try again shortly.",
            f"Este municipio tiene demasiadas solicitudes en curso; ninguna empezó en "
            f"{seconds:g} s. No se cambió nada; reintente en unos instantes.",
            f"Este município tem solicitações demais em andamento; nenhuma começou em "
            f"{seconds:g} s. Nada foi alterado; tente de novo em instantes.",
        ),
        details={"retryAfter": 1},
    )


@dataclass
class Bulkhead:
    slots: int
    #: ``None``: a request waits as long as its deadline allows.
    queue_seconds: float | None
    _budgets: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    @asynccontextmanager
    async def slot(self, municipality: str) -> AsyncIterator[None]:
        """A slot of ``municipality``'s budget for the block's duration, or ``busy``."""
        budget = self._budgets.get(municipality)
        if budget is None:
            budget = self._budgets[municipality] = asyncio.Semaphore(self.slots)
        if self.queue_seconds is None:
            await budget.acquire()  # the request's deadline bounds the wait
        else:
            try:
                await asyncio.wait_for(budget.acquire(), self.queue_seconds)
            except TimeoutError:
                raise busy(self.queue_seconds) from None
        try:
            yield
        finally:
            budget.release()
