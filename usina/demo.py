"""The demo municipality: a plan in implementation, a draft, actors and progress. Idempotent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.actors import service as actors
from core.commitments import service as commitments
from core.diagnostics import service as diagnostics
from core.enums import (
    ActionPlanStatus,
    ActorKind,
    AssessmentStatus,
    ContributionKind,
    MilestoneStatus,
    ResponseOutcome,
)
from core.evaluation import service as evaluations
from core.identity.principal import SYSTEM, Principal
from core.identity.roles import Role
from core.milestones import service as milestones
from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from core.participation import service as participation
from core.plans import publishing
from core.plans import service as plans
from core.progress import service as progress
from plugins import activation
from plugins.builtin.kpi import service as kpis
from plugins.manager import PluginRegistry, make_plugin_manager
from plugins.records import DerivationInput
from tenants.context import TenantBinding
from tenants.provisioning import create_municipality
from tenants.unit_of_work import UnitOfWork

SLUG = "demo"


@dataclass(frozen=True)
class DemoMilestone:
    title: str
    weight: float
    reports: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class DemoCommitment:
    code: str
    title: str
    problem: str
    status_quo: str
    objective: str
    contribution: str
    ogp_values: tuple[str, ...]
    tags: tuple[str, ...]
    milestones: tuple[DemoMilestone, ...]


COMMITMENTS = (
    DemoCommitment(
        code="1",
        title="Portal de datos abiertos municipal",
        problem="La información presupuestaria se publica en PDF y con meses de retraso.",
        status_quo="Sin portal de datos; pedidos de acceso respondidos en 45 días en promedio.",
        objective="Publicar presupuesto, compras y obras en formatos abiertos cada mes.",
        contribution="Permite a la ciudadanía seguir el gasto en tiempo casi real.",
        ogp_values=("ACCESS_TO_INFORMATION", "TECHNOLOGY_AND_INNOVATION"),
        tags=("datos abiertos", "presupuesto"),
        milestones=(
            DemoMilestone(
                "Relevamiento de conjuntos de datos", 1, ((100, "Inventario de 42 conjuntos."),)
            ),
            DemoMilestone(
                "Lanzamiento del portal", 2, ((60, "Portal en pruebas con 12 conjuntos."),)
            ),
            DemoMilestone("Actualización mensual automatizada", 1),
        ),
    ),
    DemoCommitment(
        code="2",
        title="Presupuesto participativo barrial",
        problem="Los vecinos no inciden en la asignación del gasto de sus barrios.",
        status_quo="No existe un mecanismo de participación en el presupuesto.",
        objective="Destinar el 2% del presupuesto de obras a proyectos votados por vecinos.",
        contribution="Abre una decisión de gasto a la participación vinculante.",
        ogp_values=("CIVIC_PARTICIPATION", "PUBLIC_ACCOUNTABILITY"),
        tags=("participación",),
        milestones=(
            DemoMilestone(
                "Ordenanza de presupuesto participativo", 2, ((100, "Ordenanza 1234 aprobada."),)
            ),
            DemoMilestone("Asambleas barriales", 1, ((40, "4 de 10 asambleas realizadas."),)),
        ),
    ),
    DemoCommitment(
        code="3",
        title="Tablero de seguimiento de compromisos",
        problem="La ciudadanía no puede seguir el avance del plan.",
        status_quo="Informes anuales en PDF.",
        objective="Un tablero público con el avance de cada hito y su evidencia.",
        contribution="Rendición de cuentas continua sobre el propio plan.",
        ogp_values=("PUBLIC_ACCOUNTABILITY",),
        tags=("rendición de cuentas",),
        milestones=(DemoMilestone("Tablero publicado", 1),),
    ),
)


DEMO_PLUGINS = ("transparency_index", "maturity_model", "consultation", "forum", "ogp_irm", "kpi")


async def _diagnose(session: AsyncSession, registry: PluginRegistry, start: date) -> uuid.UUID:
    """A validated transparency assessment whose gaps the first commitment answers."""
    _, index = registry.instruments["transparency_index"]
    assessment = await diagnostics.start(session, SYSTEM, index, "Diagnóstico inicial", start)
    answers = {code: "NO" for code in index.indicators_by_code}
    answers |= {
        "A1": "YES",
        "A3": "PARTIAL",
        "A4": "YES",
        "A6": "YES",
        "B1": "YES",
        "B3": "PARTIAL",
        "C1": "PARTIAL",
        "D1": "PARTIAL",
        "D2": "YES",
        "E1": "YES",
        "F1": "YES",
        "F3": "YES",
    }
    await diagnostics.answer(
        session,
        SYSTEM,
        index,
        assessment.id,
        [diagnostics.AnswerData(code, answer) for code, answer in answers.items()],
    )
    for status in (AssessmentStatus.SUBMITTED, AssessmentStatus.VALIDATED):
        await diagnostics.transition(session, SYSTEM, assessment.id, status)
    return assessment.id


async def _cocreation(
    session: AsyncSession,
    plan_id: uuid.UUID,
    start: date,
    government: uuid.UUID,
    civil_society: uuid.UUID,
    commitments_by_code: dict[str, uuid.UUID],
) -> None:
    """A forum that met, and a consultation whose every proposal got a reasoned response."""
    began = datetime.combine(start, time(9), UTC)
    forum = await participation.open_channel(
        session,
        SYSTEM,
        participation.ChannelData(
            plan_id=plan_id,
            kind="forum",
            title="Foro Multiactor de Villa Usina",
            opens_at=began - timedelta(days=60),
            closes_at=began + timedelta(days=800),
        ),
    )
    for actor, role in ((government, "Gobierno municipal"), (civil_society, "Sociedad civil")):
        await participation.add_member(session, SYSTEM, forum.id, actor, role)
    for days, agenda in ((-40, "Diagnóstico y prioridades"), (200, "Seguimiento del plan")):
        held = (began + timedelta(days=days)).date()
        await participation.contribute(
            session,
            SYSTEM,
            participation.ContributionData(
                channel_id=forum.id,
                kind=ContributionKind.MEETING,
                title=held.isoformat(),
                body=agenda,
                data={
                    "held_on": held.isoformat(),
                    "agenda": agenda,
                    "minutes": "Acta aprobada.",
                    "attendee_ids": [str(government), str(civil_society)],
                },
            ),
            participant_kinds=(),
            staff_kinds={ContributionKind.MEETING},
            is_staff=True,
        )
    consultation = await participation.open_channel(
        session,
        SYSTEM,
        participation.ChannelData(
            plan_id=plan_id,
            kind="consultation",
            title="¿Qué debería abrir el municipio?",
            description="Consulta pública para co-crear el plan.",
            opens_at=began - timedelta(days=30),
            closes_at=began - timedelta(days=9),
        ),
    )
    kinds = {ContributionKind.PROPOSAL, ContributionKind.COMMENT, ContributionKind.SUPPORT}
    proposals = {}
    for index, (author, title, body) in enumerate(
        (
            (
                "vecina-1",
                "Presupuesto en datos abiertos",
                "Publicar el presupuesto y su ejecución en CSV.",
            ),
            (
                "vecino-2",
                "Presupuesto participativo por barrio",
                "Que cada barrio decida parte de las obras.",
            ),
            (
                "vecina-3",
                "Wifi gratis en plazas",
                "Conectividad pública en todos los espacios verdes.",
            ),
        )
    ):
        person = Principal(subject=author, role=Role.PARTICIPANT, tenant=SLUG)
        proposals[title] = await participation.contribute(
            session,
            person,
            participation.ContributionData(
                channel_id=consultation.id,
                kind=ContributionKind.PROPOSAL,
                title=title,
                body=body,
                author_name=author.split("-")[0].title(),
            ),
            participant_kinds=kinds,
            staff_kinds=(),
            is_staff=False,
            at=began - timedelta(days=25 - index),
        )
    for index, supporter in enumerate(("vecino-2", "vecina-3", "vecino-4")):
        await participation.contribute(
            session,
            Principal(subject=supporter, role=Role.PARTICIPANT, tenant=SLUG),
            participation.ContributionData(
                channel_id=consultation.id,
                kind=ContributionKind.SUPPORT,
                parent_id=proposals["Presupuesto en datos abiertos"].id,
            ),
            participant_kinds=kinds,
            staff_kinds=(),
            is_staff=False,
            at=began - timedelta(days=20 - index),
        )
    await participation.respond(
        session,
        SYSTEM,
        proposals["Presupuesto en datos abiertos"].id,
        ResponseOutcome.ACCEPTED,
        "Se incorpora como compromiso 1 (portal de datos abiertos).",
        commitment_ids=[commitments_by_code["1"]],
    )
    await participation.respond(
        session,
        SYSTEM,
        proposals["Presupuesto participativo por barrio"].id,
        ResponseOutcome.ACCEPTED,
        "Se incorpora como compromiso 2.",
        commitment_ids=[commitments_by_code["2"]],
    )
    await participation.respond(
        session,
        SYSTEM,
        proposals["Wifi gratis en plazas"].id,
        ResponseOutcome.DECLINED,
        "Es una política de infraestructura, no de gobierno abierto; se deriva a Obras Públicas.",
    )


async def _evaluate(
    session: AsyncSession, registry: PluginRegistry, plan_id: uuid.UUID, commitment_id: uuid.UUID
) -> None:
    """A published IRM-style evaluation of commitment 1, and a KPI with two measurements."""
    _, irm = registry.frameworks["ogp_irm"]

    def derive(target: str, progress: float | None, level: str | None, ratings: Any) -> Any:
        return irm.derive(DerivationInput(target, progress, level, ratings))

    evaluation = await evaluations.start(
        session,
        SYSTEM,
        framework=irm.name,
        version=irm.version,
        criteria=list(irm.criteria["COMMITMENT"]),
        derive=derive,
        plan_id=plan_id,
        commitment_id=commitment_id,
    )
    for code, value, why in (
        ("VERIFIABILITY", "VERIFIABLE", "Hitos con entregables verificables."),
        ("OPEN_GOVERNMENT_LENS", "YES", "Abre información presupuestaria al público."),
        ("POTENTIAL_FOR_RESULTS", "SUBSTANTIAL", "Publicación mensual obligatoria por ordenanza."),
    ):
        criterion = irm.criterion("COMMITMENT", code)
        assert criterion is not None
        await evaluations.rate(session, SYSTEM, evaluation.id, criterion, value, why, derive)
    await evaluations.publish(session, SYSTEM, evaluation.id)
    await kpis.define(
        session,
        SYSTEM,
        commitment_id,
        "DATASETS",
        "Conjuntos de datos publicados",
        "conjuntos",
        0,
        40,
    )
    for days_ago, measured in ((90, 6.0), (10, 12.0)):
        await kpis.record(
            session,
            SYSTEM,
            commitment_id,
            "DATASETS",
            measured,
            date.today() - timedelta(days=days_ago),
        )


async def seed(
    uow: UnitOfWork, today: date | None = None, registry: PluginRegistry | None = None
) -> tuple[Municipality, bool]:
    """Create the demo municipality unless it exists. Returns it and whether it was created.

    Written through ``uow`` like any other change: audited, announced, versioned."""
    today = today or date.today()
    registry = registry or make_plugin_manager(entrypoints=False)
    async with uow.db.session(None) as session:
        existing = await municipalities.find_by_slug(session, SLUG)
    if existing is not None:
        return existing, False
    municipality = await create_municipality(
        uow,
        SYSTEM,
        municipalities.MunicipalityData(
            slug=SLUG,
            name="Villa Usina (demo)",
            country="AR",
            region="Buenos Aires",
            population=85_000,
            website="https://demo.usina.example",
            locale="es",
            timezone="America/Argentina/Buenos_Aires",
        ),
    )
    binding = TenantBinding(municipality.id, municipality.slug, sees_drafts=True)
    async with uow.transaction(binding) as session:
        for plugin in DEMO_PLUGINS:
            await activation.configure(session, SYSTEM, registry, plugin, enabled=True)
        lead = await actors.create(
            session, SYSTEM, actors.ActorData(ActorKind.GOVERNMENT, "Secretaría de Modernización")
        )
        ngo = await actors.create(
            session,
            SYSTEM,
            actors.ActorData(ActorKind.CIVIL_SOCIETY, "Fundación Ciudadanía Activa"),
        )
        start, end = today - timedelta(days=300), today + timedelta(days=430)
        assessment_id = await _diagnose(session, registry, start - timedelta(days=60))
        plan = await plans.create(
            session,
            SYSTEM,
            plans.PlanData(
                title="Plan de Acción de Gobierno Abierto",
                summary="Primer plan co-creado con el Foro Multiactor de la ciudad.",
                start_date=start,
                end_date=end,
            ),
        )
        created = {}
        for spec in COMMITMENTS:
            commitment = await commitments.create(
                session,
                SYSTEM,
                commitments.CommitmentData(
                    plan_id=plan.id,
                    code=spec.code,
                    title=spec.title,
                    start_date=start,
                    end_date=end,
                    problem=spec.problem,
                    status_quo=spec.status_quo,
                    objective=spec.objective,
                    contribution=spec.contribution,
                    ogp_values=list(spec.ogp_values),
                    lead_agency_id=lead.id,
                    supporting_actor_ids=[ngo.id],
                    tags=list(spec.tags),
                ),
            )
            created[spec.code] = commitment.id
        _, transparency = registry.instruments["transparency_index"]
        await commitments.link_gaps(
            session,
            SYSTEM,
            created["1"],
            [(assessment_id, "C1"), (assessment_id, "C5")],
            lambda _assessment, code, answer: transparency.is_gap(code, answer),
        )
        await plans.transition(session, SYSTEM, plan.id, ActionPlanStatus.COCREATION)
        await _cocreation(session, plan.id, start, lead.id, ngo.id, created)
        # The milestones are part of the plan as published; progress is reported after.
        span = (end - start).days
        reported: list[tuple[uuid.UUID, str, tuple[tuple[float, str], ...]]] = []
        for spec in COMMITMENTS:
            count = len(spec.milestones)
            for index, demo_milestone in enumerate(spec.milestones):
                title = demo_milestone.title
                m_start = start + timedelta(days=span * index // count)
                m_end = start + timedelta(days=span * (index + 1) // count)
                milestone = await milestones.create(
                    session,
                    SYSTEM,
                    milestones.MilestoneData(
                        commitment_id=created[spec.code],
                        title=title,
                        start_date=m_start,
                        end_date=m_end,
                        weight=demo_milestone.weight,
                        deliverable=f"Evidencia pública: {title.lower()}.",
                    ),
                )
                reported.append((milestone.id, title, tuple(demo_milestone.reports)))
        for status in (ActionPlanStatus.PUBLISHED, ActionPlanStatus.IMPLEMENTATION):
            await plans.transition(session, SYSTEM, plan.id, status)
        for milestone_id, title, reports in reported:
            for percent, narrative in reports:
                await progress.report(
                    session,
                    SYSTEM,
                    progress.ReportData(
                        milestone_id=milestone_id,
                        percent=percent,
                        status=None if percent < 100 else MilestoneStatus.COMPLETED,
                        narrative=narrative,
                        evidence=[
                            progress.Evidence(
                                url="https://demo.usina.example/evidencia", title=title
                            )
                        ],
                    ),
                )
        await _evaluate(session, registry, plan.id, created["1"])
        # A change after publication, published with its note: the plan's second version.
        await commitments.update(
            session,
            SYSTEM,
            created["3"],
            {
                "objective": "Un tablero público con el avance de cada hito, su evidencia y "
                "los datos de cada informe en formatos abiertos."
            },
        )
        await publishing.publish_changes(
            session,
            SYSTEM,
            plan.id,
            note="Se amplió el objetivo del compromiso 3 a pedido del Foro Multiactor.",
        )
        # Its portals' colour (dark enough for white text on it).
        await municipalities.update(
            session,
            SYSTEM,
            municipality.id,
            municipalities.MunicipalityChanges(primary_color="#1f5f8b"),
        )
        await plans.create(
            session,
            SYSTEM,
            plans.PlanData(
                title="Segundo Plan de Acción (borrador)",
                summary="Borrador interno: el público no lo ve.",
                start_date=end,
                end_date=end + timedelta(days=730),
            ),
        )
    return municipality, True
