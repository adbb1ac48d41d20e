"""Creating municipalities and changing their status (platform work, audited in the tenant)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from core.audit import service as audit
from core.enums import MunicipalityStatus
from core.errors import Conflict
from core.i18n import msg
from core.identity.principal import Principal
from core.ids import new_id
from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from tenants.context import TenantBinding
from tenants.unit_of_work import UnitOfWork


async def create_municipality(
    uow: UnitOfWork, by: Principal, data: municipalities.MunicipalityData
) -> Municipality:
    """Create a municipality; its first audit event records who did it.

    The session is bound to the new municipality (its id is chosen first), so the audit
    event passes the same flush guard as any other tenant write.
    """
    fields = municipalities.validate(data)
    # Tokens naming its slug that were issued before it existed (a deleted municipality's of
    # the same slug) are refused (``tenants.access.issued_since_restored``).
    new = Municipality(
        id=new_id(), tokens_not_before=datetime.now(UTC).replace(microsecond=0), **fields
    )
    binding = TenantBinding(tenant_id=new.id, slug=new.slug, sees_drafts=True)
    try:
        async with uow.transaction(binding) as session:
            if await municipalities.find_by_slug(session, new.slug) is not None:
                raise _slug_taken(new.slug)
            session.add(new)
            await session.flush()
            audit.record(session, by, "municipality.create", new)
    except IntegrityError as error:  # a concurrent creation with the same slug
        raise _slug_taken(new.slug) from error
    return new


async def set_status(
    uow: UnitOfWork, by: Principal, slug: str, status: MunicipalityStatus
) -> Municipality:
    async with uow.db.session(None) as lookup:
        found = await municipalities.get_by_slug(lookup, slug)
    binding = TenantBinding(tenant_id=found.id, slug=found.slug, sees_drafts=True)
    async with uow.transaction(binding) as session:
        municipality = await municipalities.get(session, found.id)
        before = audit.snapshot(municipality)
        municipality.status = status
        await session.flush()
        audit.record(session, by, f"municipality.{status.value}", municipality, before=before)
    return municipality


def _slug_taken(slug: str) -> Conflict:
    return Conflict(
        msg(
            f"The slug '{slug}' is taken.",
            f"El identificador '{slug}' ya existe.",
            f"O identificador '{slug}' já existe.",
        ),
        field="slug",
    )
