"""Open data a portal of open data can harvest: ``/open-data/{slug}/catalog.jsonld``, a DCAT
catalogue (JSON-LD, DCAT-AP's vocabulary, as CKAN's ``ckanext-dcat`` and the datos.gob.*
harvesters read) of the municipality's public plans and of their consultations' records;
``/open-data/{slug}/plans/{id}.{fmt}``, each plan's CSV, XLSX, JSON or HTML; and
``/open-data/{slug}/channels/{id}.{fmt}``, each channel's record of contributions and responses
(CSV, XLSX, JSON; ``core/exports/consultation.py``). All built from what the public sees, at
stable addresses.

Nothing here is behind a token: it is what the municipality already publishes. A draft plan is
neither listed nor served (``NOT_FOUND``, as to any anonymous reader).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.commitments.models import Commitment
from core.db.base import utcnow
from core.errors import BadUserInput, NotFound, UsinaError
from core.exports import consultation as record
from core.exports import plan as exports
from core.i18n import msg, pick_locale
from core.identity.principal import ANONYMOUS
from core.milestones.models import Milestone
from core.municipalities.models import Municipality
from core.participation.models import Channel, Contribution
from core.plans.models import ActionPlan
from core.progress.models import ProgressReport
from core.settings import Settings
from core.spreadsheets import Dialect, dialect_named
from graphql_schema.errors import address_refusal
from plugins.manager import PluginRegistry
from tenants.access import binding_for, find_municipality
from tenants.database import Database
from tenants.directory import MunicipalityDirectory
from workers.exports import rating_words

#: The license of what municipalities publish through Usina, unless they say otherwise.
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
FORMATS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("XLSX", exports.MEDIA_TYPES["xlsx"]),
    "json": ("JSON", "application/json"),
    "html": ("HTML", "text/html"),
}
#: A consultation's record: the formats of ``core/exports/consultation.py``.
RECORD_FORMATS = {fmt: FORMATS[fmt] for fmt in record.BUILDERS}
RECORD_TITLE = msg(
    "{title}: record of contributions and responses",
    "{title}: registro de aportes y respuestas",
    "{title}: registro de contribuições e respostas",
)


def plan_path(slug: str, plan_id: uuid.UUID, fmt: str) -> str:
    return f"/open-data/{slug}/plans/{plan_id}.{fmt}"


def channel_path(slug: str, channel_id: uuid.UUID, fmt: str) -> str:
    return f"/open-data/{slug}/channels/{channel_id}.{fmt}"


CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}


def _excel(title: str, csv_url: str, modified: str) -> Any:
    """A CSV's distribution as Excel opens it in the municipality's language."""
    return {
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dct:format": "CSV",
        "dcat:mediaType": "text/csv",
        "dcat:downloadURL": csv_url + "?dialect=excel",
        "dcat:accessURL": csv_url + "?dialect=excel",
        "dct:license": LICENSE,
        "dct:modified": modified,
    }


def _dialect(request: Request, municipality: Municipality) -> Dialect:
    """``?dialect=excel``: the CSV as Excel opens it in the municipality's language."""
    name = request.query_params.get("dialect")
    found = dialect_named(name, municipality.locale.value)
    if found is None:
        raise BadUserInput(
            msg(
                f"dialect='{name}' is not valid: use excel or rfc4180.",
                f"dialect='{name}' no es válido: use excel o rfc4180.",
                f"dialect='{name}' não é válido: use excel ou rfc4180.",
            ),
            field="dialect",
        )
    return found


def _no_such_channel() -> NotFound:
    return NotFound(
        msg(
            "No such public consultation.",
            "No existe esa consulta pública.",
            "Essa consulta pública não existe.",
        ),
        field="id",
    )


def _no_such_plan() -> NotFound:
    return NotFound(
        msg(
            "No such public plan.", "No existe ese plan público.", "Esse plano público não existe."
        ),
        field="id",
    )


class OpenData:
    def __init__(
        self,
        *,
        db: Database,
        directory: MunicipalityDirectory,
        registry: PluginRegistry,
        settings: Settings,
    ) -> None:
        self.db, self.directory, self.registry = db, directory, registry
        self.settings = settings

    def endpoint(
        self, handler: Callable[[Request, Municipality], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            locale = pick_locale(request.headers.get("accept-language"))
            try:
                municipality = await find_municipality(
                    self.directory, request.path_params["slug"], ANONYMOUS
                )
                return await handler(request, municipality)
            except UsinaError as error:
                body, status = address_refusal(error, locale)
                return JSONResponse(body, status_code=status)

        return handle

    async def catalog(self, request: Request, municipality: Municipality) -> Response:
        base = self.settings.link_base(str(request.base_url))
        home = f"{base}/open-data/{municipality.slug}"
        async with self.db.session(binding_for(ANONYMOUS, municipality)) as session:
            plans = list(
                (
                    await session.execute(
                        select(ActionPlan).order_by(ActionPlan.start_date.desc(), ActionPlan.id)
                    )
                ).scalars()
            )
            modified = await _modified(session, [p.id for p in plans])
            tags = await _keywords(session, [p.id for p in plans])
            channels = await _public_channels(session, [p.id for p in plans])
        publisher = {
            "@type": "foaf:Organization",
            "foaf:name": municipality.name,
            **({"foaf:homepage": municipality.website} if municipality.website else {}),
        }
        language = municipality.locale.value
        datasets = []
        for plan in plans:
            issued = plan.published_at or plan.created_at
            datasets.append(
                {
                    "@type": "dcat:Dataset",
                    "@id": f"{home}/plans/{plan.id}",
                    "dct:identifier": str(plan.id),
                    "dct:title": plan.title,
                    "dct:description": plan.summary or plan.title,
                    "dct:publisher": publisher,
                    "dct:issued": issued.isoformat(),
                    "dct:modified": modified.get(plan.id, issued).isoformat(),
                    "dct:language": language,
                    "dct:license": LICENSE,
                    "dct:temporal": {
                        "@type": "dct:PeriodOfTime",
                        "dcat:startDate": plan.start_date.isoformat(),
                        "dcat:endDate": plan.end_date.isoformat(),
                    },
                    "dct:spatial": f"{municipality.name} ({municipality.country})",
                    "dcat:keyword": ["gobierno abierto", "open government", *tags.get(plan.id, [])],
                    "dcat:theme": "http://publications.europa.eu/resource/authority/data-theme/GOVE",
                    "dcat:distribution": [
                        {
                            "@type": "dcat:Distribution",
                            "dct:title": f"{plan.title} ({label})",
                            "dct:format": label,
                            "dcat:mediaType": media_type,
                            "dcat:downloadURL": base + plan_path(municipality.slug, plan.id, fmt),
                            "dcat:accessURL": base + plan_path(municipality.slug, plan.id, fmt),
                            "dct:license": LICENSE,
                            "dct:modified": modified.get(plan.id, issued).isoformat(),
                        }
                        for fmt, (label, media_type) in FORMATS.items()
                    ]
                    + [
                        _excel(
                            f"{plan.title} (CSV, Excel)",
                            base + plan_path(municipality.slug, plan.id, "csv"),
                            modified.get(plan.id, issued).isoformat(),
                        )
                    ],
                }
            )
            for channel, changed in channels.get(plan.id, []):
                title = RECORD_TITLE.text(language).format(title=channel.title)
                datasets.append(
                    {
                        "@type": "dcat:Dataset",
                        "@id": f"{home}/channels/{channel.id}",
                        "dct:identifier": str(channel.id),
                        "dct:title": title,
                        "dct:description": channel.description or title,
                        "dct:publisher": publisher,
                        "dct:issued": channel.opens_at.isoformat(),
                        "dct:modified": changed.isoformat(),
                        "dct:language": language,
                        "dct:license": LICENSE,
                        "dct:isPartOf": f"{home}/plans/{plan.id}",
                        "dct:temporal": {
                            "@type": "dct:PeriodOfTime",
                            "dcat:startDate": channel.opens_at.date().isoformat(),
                            "dcat:endDate": channel.closes_at.date().isoformat(),
                        },
                        "dct:spatial": f"{municipality.name} ({municipality.country})",
                        "dcat:keyword": ["participación ciudadana", "citizen participation"],
                        "dcat:theme": (
                            "http://publications.europa.eu/resource/authority/data-theme/GOVE"
                        ),
                        "dcat:distribution": [
                            {
                                "@type": "dcat:Distribution",
                                "dct:title": f"{title} ({label})",
                                "dct:format": label,
                                "dcat:mediaType": media_type,
                                "dcat:downloadURL": base
                                + channel_path(municipality.slug, channel.id, fmt),
                                "dcat:accessURL": base
                                + channel_path(municipality.slug, channel.id, fmt),
                                "dct:license": LICENSE,
                                "dct:modified": changed.isoformat(),
                            }
                            for fmt, (label, media_type) in RECORD_FORMATS.items()
                        ]
                        + [
                            _excel(
                                f"{title} (CSV, Excel)",
                                base + channel_path(municipality.slug, channel.id, "csv"),
                                changed.isoformat(),
                            )
                        ],
                    }
                )
        document = {
            "@context": CONTEXT,
            "@type": "dcat:Catalog",
            "@id": f"{home}/catalog.jsonld",
            "dct:title": f"{municipality.name}: gobierno abierto / open government",
            "dct:description": (
                "Planes de acción de gobierno abierto: compromisos, hitos y avance. / "
                "Open government action plans: commitments, milestones and progress."
            ),
            "dct:publisher": publisher,
            "dct:language": language,
            "dct:license": LICENSE,
            "foaf:homepage": home,
            "dcat:dataset": datasets,
        }
        return JSONResponse(
            document,
            media_type="application/ld+json",
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def plan_file(self, request: Request, municipality: Municipality) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in FORMATS:
            raise _no_such_plan()
        dialect = _dialect(request, municipality)
        try:
            plan_id = uuid.UUID(request.path_params["plan_id"])
        except ValueError:
            raise _no_such_plan() from None
        async with self.db.session(binding_for(ANONYMOUS, municipality)) as session:
            try:
                data = await exports.load(
                    session,
                    municipality,
                    plan_id,
                    measuring=self.registry.measuring_frameworks(),
                    scales=rating_words(self.registry),
                    link_base=self.settings.link_base(str(request.base_url)),
                )
            except NotFound:
                raise _no_such_plan() from None
        content = exports.to_csv(data, dialect) if fmt == "csv" else exports.BUILDERS[fmt](data)
        return Response(
            content,
            media_type=exports.MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="{exports.filename(data, fmt)}"',
                "Cache-Control": "public, max-age=300",
            },
        )

    async def channel_file(self, request: Request, municipality: Municipality) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in record.BUILDERS:
            raise _no_such_channel()
        dialect = _dialect(request, municipality)
        try:
            channel_id = uuid.UUID(request.path_params["channel_id"])
        except ValueError:
            raise _no_such_channel() from None
        async with self.db.session(binding_for(ANONYMOUS, municipality)) as session:
            try:
                data = await record.load(session, municipality, channel_id)
            except NotFound:
                raise _no_such_channel() from None
            if data.channel.opens_at > utcnow():
                raise _no_such_channel()  # announced, not yet taking part: no record yet
        return Response(
            record.to_csv(data, dialect) if fmt == "csv" else record.BUILDERS[fmt](data),
            media_type=record.MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="{record.filename(data, fmt)}"',
                "Cache-Control": "public, max-age=300",
            },
        )


async def _public_channels(
    session: Any, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[Channel, datetime]]]:
    """Each public plan's channels that have opened, with when their record last changed."""
    out: dict[uuid.UUID, list[tuple[Channel, datetime]]] = {}
    if not plan_ids:
        return out
    channels = list(
        (
            await session.execute(
                select(Channel)
                .where(Channel.plan_id.in_(plan_ids), Channel.opens_at <= utcnow())
                .order_by(Channel.opens_at, Channel.id)
            )
        ).scalars()
    )
    if not channels:
        return out
    latest = dict(
        (
            await session.execute(
                select(Contribution.channel_id, func.max(Contribution.updated_at))
                .where(Contribution.channel_id.in_([c.id for c in channels]))
                .group_by(Contribution.channel_id)
            )
        ).all()
    )
    for channel in channels:
        changed = max(channel.updated_at, latest.get(channel.id) or channel.updated_at)
        out.setdefault(channel.plan_id, []).append((channel, changed))
    return out


async def _modified(session: Any, plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each plan's published content last changed: its own row, its commitments' and
    milestones', its latest progress report."""
    out: dict[uuid.UUID, datetime] = {}
    if not plan_ids:
        return out
    for key, column in (
        (ActionPlan.id, ActionPlan.updated_at),
        (Commitment.plan_id, Commitment.updated_at),
        (Milestone.plan_id, Milestone.updated_at),
        (ProgressReport.plan_id, ProgressReport.reported_at),
    ):
        rows = await session.execute(
            select(key, func.max(column)).where(key.in_(plan_ids)).group_by(key)
        )
        for plan_id, when in rows.all():
            if when is not None and (plan_id not in out or when > out[plan_id]):
                out[plan_id] = when
    return out


async def _keywords(session: Any, plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = {}
    if not plan_ids:
        return out
    rows = await session.execute(
        select(Commitment.plan_id, Commitment.tags).where(Commitment.plan_id.in_(plan_ids))
    )
    for plan_id, tags in rows.all():
        for tag in tags or []:
            if tag not in out.setdefault(plan_id, []):
                out[plan_id].append(tag)
    return out
