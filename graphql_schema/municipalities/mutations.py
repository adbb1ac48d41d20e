from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from core.enums import Locale, MunicipalityStatus
from core.errors import BadUserInput
from core.i18n import msg
from core.identity.roles import Permission
from core.municipalities import portals
from core.municipalities import service as municipalities
from core.municipalities.service import MunicipalityChanges, MunicipalityData
from graphql_schema.context import Info
from graphql_schema.municipalities.types import Municipality
from graphql_schema.permissions import requires
from graphql_schema.rows import from_row
from tenants import provisioning


@strawberry.input
class CreateMunicipalityInput:
    slug: str
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. AR.")
    region: str | None = None
    population: int | None = None
    website: str | None = None
    locale: Locale = Locale.ES
    timezone: str = "UTC"


@strawberry.input
class SetMunicipalityStatusInput:
    slug: str
    status: MunicipalityStatus


@strawberry.input
class SetPortalOriginsInput:
    origins: list[str] = strawberry.field(
        description="The web origins of the municipality's portals, e.g. "
        "https://gobiernoabierto.villa.gob.ar (no path, no wildcard); replaces the list."
    )


@strawberry.input(
    description="What changes in the bound municipality: an omitted field stays as it is; an "
    "empty region or website clears it."
)
class UpdateMunicipalityInput:
    name: str | None = None
    region: str | None = None
    population: int | None = None
    website: str | None = None
    locale: Locale | None = None
    timezone: str | None = strawberry.field(
        default=None, description="An IANA time zone, e.g. America/Argentina/Buenos_Aires."
    )
    primary_color: str | None = strawberry.field(
        default=None,
        description="Its portals' primary colour, #rrggbb, dark enough for white text on it "
        "(contrast of 4.5:1, WCAG AA); empty clears it.",
    )
    logo: Upload | None = strawberry.field(
        default=None,
        description="A new logo (PNG, JPEG or WebP, at most 512 KB), sent as a GraphQL "
        "multipart request; it replaces the old one.",
    )
    remove_logo: bool = strawberry.field(default=False, description="Remove the logo.")


@strawberry.type
class MunicipalityPayload:
    municipality: Municipality


@strawberry.type
class MunicipalityMutations:
    @strawberry.mutation(
        permission_classes=[requires(Permission.MANAGE_MUNICIPALITIES)],
        description="Create a municipality (a new tenant: its own rows, its own settings) with the "
        "demo's "
        "defaults for nothing: an empty municipality, active at once (platform admins).",
    )
    async def create_municipality(
        self, info: Info, input: CreateMunicipalityInput
    ) -> MunicipalityPayload:
        data = MunicipalityData(
            slug=input.slug,
            name=input.name,
            country=input.country,
            region=input.region,
            population=input.population,
            website=input.website,
            locale=input.locale.value,
            timezone=input.timezone,
        )
        row = await provisioning.create_municipality(info.context.uow, info.context.principal, data)
        return MunicipalityPayload(municipality=from_row(Municipality, row))

    @strawberry.mutation(
        description="Suspend or reactivate a municipality.",
        permission_classes=[requires(Permission.MANAGE_MUNICIPALITIES)],
    )
    async def set_municipality_status(
        self, info: Info, input: SetMunicipalityStatusInput
    ) -> MunicipalityPayload:
        row = await provisioning.set_status(
            info.context.uow, info.context.principal, input.slug, input.status
        )
        return MunicipalityPayload(municipality=from_row(Municipality, row))

    @strawberry.mutation(
        description="Edit the bound municipality's name, region, population, website, "
        "language and time zone (its slug and country stay). Audited.",
        permission_classes=[requires(Permission.EDIT_MUNICIPALITY)],
    )
    async def update_municipality(
        self, info: Info, input: UpdateMunicipalityInput
    ) -> MunicipalityPayload:
        tenant = info.context.tenant()
        logo: bytes | None = b"" if input.remove_logo else None
        if input.logo is not None:
            if input.remove_logo or not hasattr(input.logo, "read"):
                raise BadUserInput(
                    msg(
                        "Send a logo as a GraphQL multipart request, or removeLogo, not both.",
                        "Envíe un logo como solicitud GraphQL multipart, o removeLogo, no ambos.",
                        "Envie um logotipo como solicitação GraphQL multipart, ou removeLogo, "
                        "não ambos.",
                    ),
                    field="logo",
                )
            logo = await input.logo.read()
        changes = MunicipalityChanges(
            name=input.name,
            region=input.region,
            population=input.population,
            website=input.website,
            locale=input.locale.value if input.locale is not None else None,
            timezone=input.timezone,
            primary_color=input.primary_color,
            logo=logo,
        )
        async with info.context.transaction() as session:
            row = await municipalities.update(
                session, info.context.principal, tenant.municipality.id, changes
            )
        return MunicipalityPayload(municipality=from_row(Municipality, row))

    @strawberry.mutation(
        description="Set the web origins whose pages may call the API from a browser (CORS) "
        "for the bound municipality.",
        permission_classes=[requires(Permission.MANAGE_PORTALS)],
    )
    async def set_portal_origins(
        self, info: Info, input: SetPortalOriginsInput
    ) -> MunicipalityPayload:
        tenant = info.context.tenant()
        async with info.context.transaction() as session:
            row = await portals.set_origins(
                session, info.context.principal, tenant.municipality.id, input.origins
            )
        return MunicipalityPayload(municipality=from_row(Municipality, row))
