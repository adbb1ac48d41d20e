"""The demo municipality: a plan in implementation, a draft, actors and progress. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.actors import service as actors
from core.commitments import service as commitments
from core.enums import ActionPlanStatus, ActorKind, MilestoneStatus
from core.identity.principal import SYSTEM
from core.milestones import service as milestones
from core.municipalities import service as municipalities
from core.municipalities.models import Municipality
from core.plans import service as plans
from core.progress import service as progress
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.provisioning import create_municipality

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


async def seed(db: Database, today: date | None = None) -> tuple[Municipality, bool]:
    """Create the demo municipality unless it exists. Returns it and whether it was created."""
    today = today or date.today()
    async with db.session(None) as session:
        existing = await municipalities.find_by_slug(session, SLUG)
    if existing is not None:
        return existing, False
    municipality = await create_municipality(
        db,
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
    async with db.session(binding) as session:
        lead = await actors.create(
            session, SYSTEM, actors.ActorData(ActorKind.GOVERNMENT, "Secretaría de Modernización")
        )
        ngo = await actors.create(
            session,
            SYSTEM,
            actors.ActorData(ActorKind.CIVIL_SOCIETY, "Fundación Ciudadanía Activa"),
        )
        start, end = today - timedelta(days=300), today + timedelta(days=430)
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
        for status in (
            ActionPlanStatus.COCREATION,
            ActionPlanStatus.PUBLISHED,
            ActionPlanStatus.IMPLEMENTATION,
        ):
            await plans.transition(session, SYSTEM, plan.id, status)
        span = (end - start).days
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
                for percent, narrative in demo_milestone.reports:
                    await progress.report(
                        session,
                        SYSTEM,
                        progress.ReportData(
                            milestone_id=milestone.id,
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
