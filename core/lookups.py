"""Fetching one tenant-owned row by id, or ``NOT_FOUND``.

The session's isolation criteria apply, so a row of another municipality (or a draft the
principal may not see) is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import TenantOwned
from core.errors import NotFound
from core.i18n import msg

T = TypeVar("T", bound=TenantOwned)

#: A record's name in English, and "that <record>" in Spanish and Portuguese (their genders),
#: for NOT_FOUND.
NAMES: dict[str, tuple[str, str, str]] = {
    "ActionPlan": ("action plan", "ese plan de acción", "esse plano de ação"),
    "Commitment": ("commitment", "ese compromiso", "esse compromisso"),
    "Milestone": ("milestone", "ese hito", "esse marco"),
    "ProgressReport": ("progress report", "ese informe de avance", "esse relatório de avanço"),
    "Actor": ("actor", "ese actor", "esse ator"),
    "Assessment": ("assessment", "ese diagnóstico", "esse diagnóstico"),
    "Channel": ("channel", "ese canal", "esse canal"),
    "ChannelMember": ("channel member", "ese miembro del canal", "esse membro do canal"),
    "Contribution": ("contribution", "esa contribución", "essa contribuição"),
    "Evaluation": ("evaluation", "esa evaluación", "essa avaliação"),
    "AuditEvent": ("audit event", "ese evento de auditoría", "esse evento de auditoria"),
    "Membership": ("membership", "esa membresía", "essa associação"),
    "ApiClient": ("API client", "ese cliente de la API", "esse cliente da API"),
    "IdentityProvider": (
        "identity provider",
        "ese proveedor de identidad",
        "esse provedor de identidade",
    ),
    "Job": ("job", "ese trabajo", "esse trabalho"),
    "ExportFile": ("file", "ese archivo", "esse arquivo"),
    "EvidenceFile": ("evidence file", "ese archivo de evidencia", "esse arquivo de evidência"),
    "WebhookEndpoint": ("webhook", "ese webhook", "esse webhook"),
    "PlanVersion": ("plan version", "esa versión del plan", "essa versão do plano"),
}


def not_found(model: type[Any], field: str | None) -> NotFound:
    en, es, pt = NAMES.get(model.__name__, ("record", "ese registro", "esse registro"))
    return NotFound(msg(f"No such {en}.", f"No existe {es}.", f"Não existe {pt}."), field=field)


async def get(
    session: AsyncSession, model: type[T], id_: uuid.UUID, *, field: str | None = None
) -> T:
    result = await session.execute(select(model).where(model.id == id_))
    found = result.scalar_one_or_none()
    if found is None:
        raise not_found(model, field)
    return found


async def locked(
    session: AsyncSession, model: type[T], id_: uuid.UUID, *, field: str | None = None
) -> T:
    """The row, locked until the transaction ends, read after the lock: concurrent writers of
    what derives from it (a milestone's state, an assessment's scores) take turns instead of
    overwriting each other's reads. PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite takes its
    one write lock at the first write, so a no-op update of the row takes it first."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(model)
            .where(model.id == id_)
            .values(id=model.id)
            .execution_options(synchronize_session=False)
        )
        result = await session.execute(
            select(model).where(model.id == id_).execution_options(populate_existing=True)
        )
    else:
        result = await session.execute(
            select(model)
            .where(model.id == id_)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    found = result.scalar_one_or_none()
    if found is None:
        raise not_found(model, field)
    return found
