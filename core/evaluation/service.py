"""Evaluating a plan or a commitment with a framework: derived ratings, reviewers' ratings with
justifications (and justified overrides of derived ones), publication.

The framework is a plugin's; callers pass its criteria and its ``derive`` function, so the core
imports no plugin.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.commitments.models import Commitment
from core.db.base import utcnow
from core.enums import EvaluationStatus, EvaluationTarget
from core.errors import BadUserInput, Conflict
from core.evaluation.models import Evaluation, Rating
from core.i18n import msg
from core.identity.principal import Principal
from core.plans.models import ActionPlan
from core.progress import rollup


class CriterionLike(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def derived(self) -> bool: ...

    def option(self, code: str) -> Any: ...


#: (target, progress, completion level, ratings in force) -> derived values by criterion
Derive = Callable[
    [str, float | None, str | None, Mapping[str, str | None]], Mapping[str, str | None]
]


async def _progress_of(
    session: AsyncSession, evaluations: list[Evaluation]
) -> dict[uuid.UUID, float]:
    """The progress each evaluation rates (its commitment's, or its plan's), by evaluation id:
    one statement for all the commitments and one for all the plans."""
    rated_commitment = {e.id: e.commitment_id for e in evaluations if _rates_commitment(e)}
    commitment_ids = list(dict.fromkeys(c for c in rated_commitment.values() if c is not None))
    plan_ids = list(dict.fromkeys(e.plan_id for e in evaluations if e.id not in rated_commitment))
    commitments = (
        await rollup.progress_by_commitment(session, commitment_ids) if commitment_ids else {}
    )
    plans = await rollup.progress_by_plan(session, plan_ids) if plan_ids else {}
    return {
        e.id: commitments[c] if (c := rated_commitment.get(e.id)) is not None else plans[e.plan_id]
        for e in evaluations
    }


def _rates_commitment(evaluation: Any) -> bool:
    target = evaluation.target
    return target is EvaluationTarget.COMMITMENT and evaluation.commitment_id is not None


async def ratings_of(
    session: AsyncSession, evaluation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Rating]]:
    rows = await session.execute(
        select(Rating).where(Rating.evaluation_id.in_(evaluation_ids)).order_by(Rating.id)
    )
    out: dict[uuid.UUID, list[Rating]] = {i: [] for i in evaluation_ids}
    for row in rows.scalars():
        out[row.evaluation_id].append(row)
    return out


def _rederive(
    evaluation: Evaluation, progress: float, ratings: dict[str, Rating], derive: Derive
) -> None:
    for code, (derived, value) in _rederived(evaluation, progress, ratings, derive).items():
        ratings[code].derived = derived
        ratings[code].value = value


def _rederived(
    evaluation: Any, progress: float, ratings: Mapping[str, Any], derive: Derive
) -> dict[str, tuple[str | None, str | None]]:
    """(derived, in force) of each rating of ``evaluation`` the framework derives from
    ``progress``: an overridden rating keeps the reviewer's value in force."""
    level = rollup.completion_level(progress).value
    in_force = {code: r.value for code, r in ratings.items()}
    return {
        code: (value, rating.value if rating.overridden else value)
        for code, value in derive(evaluation.target.value, progress, level, in_force).items()
        if (rating := ratings.get(code)) is not None
    }


async def start(
    session: AsyncSession,
    by: Principal,
    *,
    framework: str,
    version: str,
    criteria: list[CriterionLike],
    derive: Derive,
    plan_id: uuid.UUID,
    commitment_id: uuid.UUID | None,
) -> Evaluation:
    plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
    if commitment_id is not None:
        commitment = await lookups.get(session, Commitment, commitment_id, field="commitmentId")
        if commitment.plan_id != plan.id:
            raise BadUserInput(
                msg(
                    "The commitment is not of that plan.",
                    "El compromiso no es de ese plan.",
                    "O compromisso não é desse plano.",
                ),
                field="commitmentId",
            )
    drafts = await session.execute(
        select(Evaluation.id).where(
            Evaluation.plan_id == plan.id,
            Evaluation.framework == framework,
            Evaluation.status == EvaluationStatus.DRAFT,
            Evaluation.commitment_id.is_(None)
            if commitment_id is None
            else Evaluation.commitment_id == commitment_id,
        )
    )
    if drafts.first() is not None:
        raise Conflict(
            msg(
                f"A draft {framework} evaluation of this "
                f"{'commitment' if commitment_id else 'plan'} is under way: rate or publish it.",
                f"Ya hay una evaluación {framework} en borrador de este "
                f"{'compromiso' if commitment_id else 'plan'}: califíquela o publíquela.",
                f"Já existe uma avaliação {framework} em rascunho deste "
                f"{'compromisso' if commitment_id else 'plano'}: pontue-a ou publique-a.",
            ),
            field="commitmentId" if commitment_id else "actionPlanId",
        )
    evaluation = Evaluation(
        plan_id=plan.id,
        framework=framework,
        framework_version=version,
        target=EvaluationTarget.COMMITMENT if commitment_id else EvaluationTarget.PLAN,
        commitment_id=commitment_id,
        reviewer=by.subject,
    )
    session.add(evaluation)
    await session.flush()
    ratings = {
        c.code: Rating(plan_id=plan.id, evaluation_id=evaluation.id, criterion=c.code)
        for c in criteria
    }
    session.add_all(ratings.values())
    progress = (await _progress_of(session, [evaluation]))[evaluation.id]
    _rederive(evaluation, progress, ratings, derive)
    await session.flush()
    audit.record(session, by, "evaluation.start", evaluation)
    return evaluation


async def rate(
    session: AsyncSession,
    by: Principal,
    evaluation_id: uuid.UUID,
    criterion: CriterionLike,
    value: str | None,
    justification: str,
    derive: Derive,
    data: dict[str, Any] | None = None,
) -> Evaluation:
    """Rate a criterion. A derived criterion set to anything but its derived value is an
    override, and needs a justification; ``value=None`` on it withdraws the override."""
    evaluation = await lookups.get(session, Evaluation, evaluation_id, field="evaluationId")
    if evaluation.status is not EvaluationStatus.DRAFT:
        raise Conflict(
            msg(
                "The evaluation is published.",
                "La evaluación está publicada.",
                "A avaliação está publicada.",
            )
        )
    ratings = {r.criterion: r for r in (await ratings_of(session, [evaluation.id]))[evaluation.id]}
    rating = ratings.get(criterion.code)
    if rating is None:
        rating = Rating(
            plan_id=evaluation.plan_id, evaluation_id=evaluation.id, criterion=criterion.code
        )
        session.add(rating)
        ratings[criterion.code] = rating
    if value is not None and criterion.option(value) is None:
        raise BadUserInput(
            msg(
                f"'{value}' is not on this criterion's scale.",
                f"'{value}' no está en la escala.",
                f"'{value}' não está na escala.",
            ),
            field="value",
        )
    justification = v.text("justification", justification, max_length=20_000, required=False)
    before = audit.snapshot(rating)
    if criterion.derived:
        if value is None or value == rating.derived:
            rating.overridden, rating.value = False, rating.derived
        else:
            if not justification:
                raise BadUserInput(
                    msg(
                        "Overriding a derived rating needs a justification.",
                        "Modificar una calificación derivada requiere una justificación.",
                        "Modificar uma pontuação derivada requer uma justificativa.",
                    ),
                    field="justification",
                )
            rating.overridden, rating.value = True, value
    else:
        if value is not None and not justification:
            raise BadUserInput(
                msg(
                    "A rating needs a justification.",
                    "Una calificación requiere justificación.",
                    "Uma pontuação requer justificativa.",
                ),
                field="justification",
            )
        rating.value = value
    rating.justification = justification
    if data is not None:
        rating.data = data
    progress = (await _progress_of(session, [evaluation]))[evaluation.id]
    _rederive(evaluation, progress, ratings, derive)
    await session.flush()
    audit.record(session, by, "evaluation.rate", rating, before=before)
    return evaluation


async def publish(session: AsyncSession, by: Principal, evaluation_id: uuid.UUID) -> Evaluation:
    evaluation = await lookups.get(session, Evaluation, evaluation_id, field="id")
    if evaluation.status is EvaluationStatus.PUBLISHED:
        raise Conflict(msg("Already published.", "Ya está publicada.", "Já está publicada."))
    before = audit.snapshot(evaluation)
    evaluation.status = EvaluationStatus.PUBLISHED
    evaluation.published_at = utcnow()
    await session.flush()
    audit.record(session, by, "evaluation.publish", evaluation, before=before)
    return evaluation


async def rederive(
    session: AsyncSession,
    drafts: Sequence[Any],
    ratings_of: Callable[[list[uuid.UUID]], Awaitable[Sequence[Any]]],
    derive_for: Callable[[str], Derive | None],
    figures: rollup.Figures | None = None,
) -> int:
    """Recompute the derived ratings of draft evaluations from today's data (progress moves
    after an evaluation starts); overridden ratings keep their value. Returns how many drafts
    a framework rated (``derive_for`` takes a framework's name).

    Works on rows its caller read: ``drafts`` as ``_DRAFTS`` (or ``_DRAFTS_OF_PLAN``) gives
    them, ``ratings_of`` the rows of ``_RATINGS`` for some evaluations (the worker's statements
    compiled for asyncpg give the same columns). Only the ratings whose value moves are
    changed. ``figures``, when the caller has them, spare the progress statement."""
    derives = {d.id: derive for d in drafts if (derive := derive_for(d.framework)) is not None}
    if not derives:
        return 0
    rated = [d for d in drafts if d.id in derives]
    figures = await _completed(session, rated, figures)
    ratings: dict[uuid.UUID, dict[str, Any]] = {d.id: {} for d in rated}
    for row in await ratings_of(list(derives)):
        ratings[row.evaluation_id][row.criterion] = row
    moved: dict[uuid.UUID, tuple[str | None, str | None]] = {}
    for draft in rated:
        by_code = ratings[draft.id]
        progress = _progress(draft, figures)
        for code, now in _rederived(draft, progress, by_code, derives[draft.id]).items():
            rating = by_code[code]
            if now != (rating.derived, rating.value):
                moved[rating.id] = now
    if moved:
        for rating in (
            await session.execute(select(Rating).where(Rating.id.in_(list(moved))))
        ).scalars():
            rating.derived, rating.value = moved[rating.id]
        await session.flush()
    return len(rated)


#: Draft evaluations (what ``rederive`` needs of them), and their ratings: built once.
_DRAFTS = (
    select(
        Evaluation.id,
        Evaluation.framework,
        Evaluation.target,
        Evaluation.plan_id,
        Evaluation.commitment_id,
    )
    .where(Evaluation.status == EvaluationStatus.DRAFT)
    .order_by(Evaluation.id)
)
_DRAFTS_OF_PLAN = _DRAFTS.where(Evaluation.plan_id == bindparam("plan"))
_RATINGS = (
    select(
        Rating.id,
        Rating.evaluation_id,
        Rating.criterion,
        Rating.value,
        Rating.derived,
        Rating.overridden,
    )
    .where(Rating.evaluation_id.in_(bindparam("evaluations", expanding=True)))
    .order_by(Rating.id)
)


async def _completed(
    session: AsyncSession, drafts: list[Any], figures: rollup.Figures | None
) -> rollup.Figures:
    """``figures`` with the progress of every plan and commitment ``drafts`` rate."""
    if figures is not None and all(
        (d.commitment_id in figures.commitments)
        if _rates_commitment(d)
        else (d.plan_id in figures.plans)
        for d in drafts
    ):
        return figures
    return await rollup.figures_of_plans(session, list(dict.fromkeys(d.plan_id for d in drafts)))


def _progress(draft: Any, figures: rollup.Figures) -> float:
    if _rates_commitment(draft):
        return figures.commitments[draft.commitment_id]
    return figures.plans[draft.plan_id]
