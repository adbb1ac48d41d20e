"""Which municipality a request or job is bound to.

Sources: the ``X-Tenant`` header, the host name ``<slug>.<base domain>``, and the token's
``tenant`` claim. Those given must agree. A platform admin's token names no municipality; the
admin acts inside one only by naming it (header or host), and that is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.audit import service as audit
from core.enums import MunicipalityStatus
from core.errors import BadUserInput, Forbidden, TenantSuspended, TenantUnknown
from core.i18n import msg
from core.identity.principal import Principal
from core.identity.roles import STAFF_ROLES, Permission
from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from tenants.context import TenantBinding
from tenants.database import Database


@dataclass(frozen=True)
class Resolved:
    binding: TenantBinding
    municipality: Municipality


def slug_from_host(host: str | None, base_domain: str) -> str | None:
    """``demo.localhost:8000`` -> ``demo`` when the base domain is ``localhost``."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = "." + base_domain.lower().strip(".")
    if name.endswith(suffix):
        label = name[: -len(suffix)]
        if label and "." not in label:
            return label
    return None


def requested_slug(principal: Principal, header: str | None, host_slug: str | None) -> str | None:
    header = header.strip().lower() if header else None
    if header and host_slug and header != host_slug:
        raise BadUserInput(
            msg(
                "The X-Tenant header and the host name name different municipalities.",
                "La cabecera X-Tenant y el nombre de host indican municipios distintos.",
            ),
            field="X-Tenant",
        )
    slug = header or host_slug
    if principal.tenant and slug and principal.tenant != slug:
        raise Forbidden(
            msg(
                "The access token was issued for another municipality.",
                "El token de acceso fue emitido para otro municipio.",
            )
        )
    return slug or principal.tenant


async def find_municipality(db: Database, slug: str, principal: Principal) -> Municipality:
    """The named municipality, if it exists and is active (platform admins see suspended
    ones too)."""
    async with db.session(None) as session:
        municipality = await municipalities.find_by_slug(session, slug)
    if municipality is None:
        raise TenantUnknown(
            msg(f"No municipality '{slug}'.", f"No existe el municipio '{slug}'."),
            field="X-Tenant",
        )
    if municipality.status is MunicipalityStatus.SUSPENDED and not principal.is_platform_admin:
        raise TenantSuspended(
            msg(
                f"The municipality '{slug}' is suspended.",
                f"El municipio '{slug}' está suspendido.",
            )
        )
    return municipality


def binding_for(principal: Principal, municipality: Municipality) -> TenantBinding:
    return TenantBinding(
        tenant_id=municipality.id,
        slug=municipality.slug,
        sees_drafts=principal.can(Permission.READ_DRAFTS),
        sees_evaluation_drafts=principal.can(Permission.EVALUATE),
        author=None if principal.is_anonymous else principal.subject,
    )


async def bind(db: Database, principal: Principal, municipality: Municipality) -> Resolved:
    """Bind ``principal`` to ``municipality``; the consultancy's staff crossing into a
    municipality leave an audit event there."""
    binding = binding_for(principal, municipality)
    if principal.role in STAFF_ROLES:
        async with db.session(binding) as session:
            audit.record(
                session, principal, "platform.bind", municipality, after={"slug": binding.slug}
            )
    return Resolved(binding=binding, municipality=municipality)
