"""The whole Open Government cycle, through the GraphQL API only: diagnose, co-create,
publish, implement, evaluate. One story, told in order; each step checks what a user sees."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.identity.tokens import TokenService
from tests.factories import error_codes, gql


class Client:
    """One person talking to the API."""

    def __init__(self, http: Any, token: str | None, tenant: str | None) -> None:
        self.http, self.token, self.tenant = http, token, tenant

    async def ok(self, document: str, **variables: Any) -> dict[str, Any]:
        result = await gql(self.http, document, variables, token=self.token, tenant=self.tenant)
        assert "errors" not in result, result["errors"]
        return result["data"]

    async def fails(self, document: str, **variables: Any) -> list[str]:
        return error_codes(
            await gql(self.http, document, variables, token=self.token, tenant=self.tenant)
        )


async def test_the_full_cycle(client: Any, tokens: TokenService) -> None:
    slug = f"ciclo-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    today = date.today()
    consultancy = tokens.issue(subject="consultora", role="platform_admin", tenant=None)
    root = Client(client, consultancy, slug)

    # The consultancy sets the municipality up and switches the method's plugins on.
    await Client(client, consultancy, None).ok(
        'mutation($s: String!) { createMunicipality(input: {slug: $s, name: "Villa Ciclo", country: "AR", timezone: "America/Argentina/Cordoba"}) { municipality { id } } }',
        s=slug,
    )
    for plugin in ("transparency_index", "consultation", "forum", "ogp_irm", "kpi"):
        await root.ok(
            "mutation($p: String!) { configurePlugin(input: {plugin: $p, enabled: true}) { plugin { enabled } } }",
            p=plugin,
        )

    editor = Client(client, tokens.issue(subject="ana@muni", role="editor", tenant=slug), slug)
    admin = Client(
        client, tokens.issue(subject="jefa@muni", role="tenant_admin", tenant=slug), slug
    )
    reviewer = Client(
        client, tokens.issue(subject="irm@independiente", role="reviewer", tenant=slug), slug
    )
    public = Client(client, None, slug)
    vecina = Client(client, tokens.issue(subject="vecina-1", role="participant", tenant=slug), slug)
    vecino = Client(client, tokens.issue(subject="vecino-2", role="participant", tenant=slug), slug)

    # 1. Diagnose: assess transparency and find the gaps.
    started = await editor.ok(
        'mutation($d: Date!) { startAssessment(input: {instrument: "transparency_index", title: "Línea de base", assessedOn: $d}) { assessment { id } } }',
        d=str(today),
    )
    assessment = started["startAssessment"]["assessment"]["id"]
    scored = await editor.ok(
        "mutation($a: ID!) { answerIndicators(input: {assessmentId: $a, answers: ["
        '{indicator: "A1", answer: "YES", evidenceUrl: "https://villa.example/concejo"}, {indicator: "C1", answer: "PARTIAL"}, '
        '{indicator: "C5", answer: "NO", comment: "Solo PDF"}, {indicator: "F1", answer: "YES"}]}) '
        "{ assessment { overallScore dimensionScores { dimension { code } score } } } }",
        a=assessment,
    )
    scores = scored["answerIndicators"]["assessment"]
    assert scores["overallScore"] == round(100 * 2.5 / 29, 2)  # 2.5 of 29 indicators met
    assert {d["dimension"]["code"]: d["score"] for d in scores["dimensionScores"]}[
        "C"
    ] == 10.0  # 0.5 / 5
    await editor.ok(
        "mutation($a: ID!) { submitAssessment(input: {id: $a}) { assessment { status } } }",
        a=assessment,
    )
    await admin.ok(
        "mutation($a: ID!) { validateAssessment(input: {id: $a}) { assessment { status } } }",
        a=assessment,
    )
    gaps = (
        await public.ok(
            "query($a: ID!) { node(id: $a) { ... on Assessment { status gaps { indicator { code } answer { code } } } } }",
            a=assessment,
        )
    )["node"]
    assert gaps["status"] == "VALIDATED"
    gap_codes = [g["indicator"]["code"] for g in gaps["gaps"]]
    assert (
        "C5" in gap_codes and "C1" in gap_codes and "A1" not in gap_codes and len(gap_codes) == 27
    )

    # 2. Co-create: a plan, a forum with both sectors, a public consultation.
    plan = (
        await editor.ok(
            'mutation($s: Date!, $e: Date!) { createActionPlan(input: {title: "Primer Plan de Acción", startDate: $s, endDate: $e}) { actionPlan { id } } }',
            s=str(today),
            e=str(today + timedelta(days=730)),
        )
    )["createActionPlan"]["actionPlan"]["id"]
    await editor.ok(
        "mutation($p: ID!) { transitionActionPlan(input: {id: $p, to: COCREATION}) { actionPlan { status } } }",
        p=plan,
    )
    gov = (
        await editor.ok(
            'mutation { createActor(input: {kind: GOVERNMENT, name: "Secretaría de Gobierno"}) { actor { id } } }'
        )
    )["createActor"]["actor"]["id"]
    ngo = (
        await editor.ok(
            'mutation { createActor(input: {kind: CIVIL_SOCIETY, name: "Red Ciudadana"}) { actor { id } } }'
        )
    )["createActor"]["actor"]["id"]
    forum = (
        await editor.ok(
            'mutation($p: ID!, $o: DateTime!, $c: DateTime!) { openChannel(input: {actionPlanId: $p, kind: "forum", title: "Foro multiactor", opensAt: $o, closesAt: $c}) { channel { id } } }',
            p=plan,
            o=now.isoformat(),
            c=(now + timedelta(days=730)).isoformat(),
        )
    )["openChannel"]["channel"]["id"]
    for actor, role in ((gov, "Gobierno"), (ngo, "Sociedad civil")):
        await editor.ok(
            "mutation($f: ID!, $a: ID!, $r: String!) { addChannelMember(input: {channelId: $f, actorId: $a, role: $r}) { member { role } } }",
            f=forum,
            a=actor,
            r=role,
        )
    for days_ago in (150, 10):
        await editor.ok(
            'mutation($f: ID!, $d: Date!, $g: ID!, $n: ID!) { recordMeeting(input: {channelId: $f, heldOn: $d, agenda: "Priorizar", minutes: "Acta", attendeeIds: [$g, $n]}) { contribution { id } } }',
            f=forum,
            d=str(today - timedelta(days=days_ago)),
            g=gov,
            n=ngo,
        )
    consultation = (
        await editor.ok(
            'mutation($p: ID!, $o: DateTime!, $c: DateTime!) { openChannel(input: {actionPlanId: $p, kind: "consultation", title: "¿Qué debería abrir el municipio?", opensAt: $o, closesAt: $c}) { channel { id isOpen } } }',
            p=plan,
            o=(now - timedelta(days=20)).isoformat(),  # open for 20 days when it closes below
            c=(now + timedelta(days=20)).isoformat(),
        )
    )["openChannel"]["channel"]
    assert consultation["isOpen"]
    channel = consultation["id"]

    propose = 'mutation($c: ID!, $t: String!, $b: String!) { contribute(input: {channelId: $c, kind: PROPOSAL, title: $t, body: $b, authorName: "Vecina"}) { contribution { id } } }'
    open_data = (
        await vecina.ok(
            propose,
            c=channel,
            t="Presupuesto en datos abiertos",
            b="Publicar el presupuesto en CSV cada mes.",
        )
    )["contribute"]["contribution"]["id"]
    stadium = (
        await vecino.ok(propose, c=channel, t="Un estadio nuevo", b="Construir un estadio.")
    )["contribute"]["contribution"]["id"]
    support = "mutation($c: ID!, $p: ID!) { contribute(input: {channelId: $c, kind: SUPPORT, parentId: $p}) { contribution { id } } }"
    await vecino.ok(support, c=channel, p=open_data)
    assert await vecino.fails(support, c=channel, p=open_data) == ["CONFLICT"]  # one support each
    assert await vecina.fails(support, c=channel, p=open_data) == ["CONFLICT"]  # not one's own
    await vecina.ok(support, c=channel, p=stadium)
    await vecino.ok(
        'mutation($c: ID!, $p: ID!) { contribute(input: {channelId: $c, kind: COMMENT, parentId: $p, body: "¡Sí!"}) { contribution { id } } }',
        c=channel,
        p=open_data,
    )
    assert await public.fails(support, c=channel, p=stadium) == ["UNAUTHENTICATED"]

    # Commitments answer the gaps and the proposals.
    commitment = (
        await editor.ok(
            'mutation($p: ID!, $s: Date!, $e: Date!, $g: ID!, $n: ID!) { createCommitment(input: {actionPlanId: $p, code: "1", title: "Presupuesto abierto", '
            'problem: "El presupuesto solo se publica en PDF.", objective: "Datos abiertos mensuales.", ogpValues: [ACCESS_TO_INFORMATION], '
            "leadAgencyId: $g, supportingActorIds: [$n], startDate: $s, endDate: $e}) { commitment { id } } }",
            p=plan,
            s=str(today),
            e=str(today + timedelta(days=700)),
            g=gov,
            n=ngo,
        )
    )["createCommitment"]["commitment"]["id"]
    await editor.ok(
        'mutation($c: ID!, $a: ID!) { linkCommitmentGaps(input: {commitmentId: $c, gaps: [{assessmentId: $a, indicator: "C1"}, {assessmentId: $a, indicator: "C5"}]}) { commitment { id } } }',
        c=commitment,
        a=assessment,
    )
    milestone = (
        await editor.ok(
            'mutation($c: ID!, $s: Date!, $e: Date!) { createMilestone(input: {commitmentId: $c, title: "Portal de datos con el presupuesto", startDate: $s, endDate: $e, weight: 2}) { milestone { id } } }',
            c=commitment,
            s=str(today),
            e=str(today + timedelta(days=300)),
        )
    )["createMilestone"]["milestone"]["id"]

    # 3. Publishing waits for the consultation to close and a reasoned response to every
    # proposal; the refusal names them.
    blocked = await gql(
        client,
        "mutation($p: ID!) { transitionActionPlan(input: {id: $p, to: PUBLISHED}) { actionPlan { status } } }",
        {"p": plan},
        token=editor.token,
    )
    assert error_codes(blocked) == ["CONFLICT"]
    still_open, unanswered = blocked["errors"][0]["extensions"]["reasons"]
    assert "1 consultation(s)" in still_open["en"]
    assert [i["id"] for i in still_open["items"]] == [channel]
    assert "2 proposal(s)" in unanswered["en"]
    assert {(i["id"], i["title"]) for i in unanswered["items"]} == {
        (open_data, "Presupuesto en datos abiertos"),
        (stadium, "Un estadio nuevo"),
    }
    closed = await editor.ok(
        "mutation($c: ID!) { closeChannel(input: {id: $c}) { channel { state isOpen } } }",
        c=channel,
    )
    assert closed["closeChannel"]["channel"] == {"state": "CLOSED", "isOpen": False}
    assert await vecina.fails(propose, c=channel, t="Tarde", b="Después del cierre.") == [
        "CONFLICT"
    ]
    await editor.ok(
        'mutation($id: ID!, $c: ID!) { respondToContribution(input: {id: $id, outcome: ACCEPTED, response: "Se incorpora como compromiso 1.", commitmentIds: [$c]}) { contribution { outcome } } }',
        id=open_data,
        c=commitment,
    )
    await editor.ok(
        'mutation($id: ID!) { respondToContribution(input: {id: $id, outcome: DECLINED, response: "Excede el alcance de gobierno abierto; se deriva a obras públicas."}) { contribution { outcome } } }',
        id=stadium,
    )
    for to in ("PUBLISHED", "IMPLEMENTATION"):
        await editor.ok(
            "mutation($p: ID!, $t: ActionPlanStatus!) { transitionActionPlan(input: {id: $p, to: $t}) { actionPlan { status } } }",
            p=plan,
            t=to,
        )

    # 4. Implement: report progress with evidence.
    await editor.ok(
        'mutation($m: ID!) { reportProgress(input: {milestoneId: $m, percent: 60, narrative: "Portal en beta", evidence: [{url: "https://datos.villa.example", title: "Portal"}]}) { milestone { progress } } }',
        m=milestone,
    )

    # 5. Evaluate with the OGP IRM-style framework.
    evaluation = (
        await reviewer.ok(
            'mutation($p: ID!, $c: ID!) { startEvaluation(input: {framework: "ogp_irm", actionPlanId: $p, commitmentId: $c}) { evaluation { id ratings { code value { code } derived { code } } } } }',
            p=plan,
            c=commitment,
        )
    )["startEvaluation"]["evaluation"]
    ratings = {r["code"]: r for r in evaluation["ratings"]}
    assert ratings["COMPLETION"]["derived"]["code"] == "SUBSTANTIAL"  # 60 % of the only milestone
    assert ratings["PROMISING"]["value"] is None  # not derivable yet
    rate = "mutation($e: ID!, $c: String!, $v: String, $j: String!) { rateCriterion(input: {evaluationId: $e, criterion: $c, value: $v, justification: $j}) { evaluation { ratings { code value { code } derived { code } overridden justification } } } }"
    for criterion, value in (
        ("VERIFIABILITY", "VERIFIABLE"),
        ("OPEN_GOVERNMENT_LENS", "YES"),
        ("POTENTIAL_FOR_RESULTS", "SUBSTANTIAL"),
    ):
        await reviewer.ok(
            rate, e=evaluation["id"], c=criterion, v=value, j="Según el plan y la evidencia."
        )
    overridden = await reviewer.ok(
        rate,
        e=evaluation["id"],
        c="COMPLETION",
        v="LIMITED",
        j="El portal aún no publica datos mensuales.",
    )
    final = {r["code"]: r for r in overridden["rateCriterion"]["evaluation"]["ratings"]}
    assert final["PROMISING"]["value"]["code"] == "YES"
    assert (
        final["COMPLETION"]["value"]["code"],
        final["COMPLETION"]["derived"]["code"],
        final["COMPLETION"]["overridden"],
    ) == ("LIMITED", "SUBSTANTIAL", True)
    assert await reviewer.fails(rate, e=evaluation["id"], c="COMPLETION", v="COMPLETE", j="") == [
        "BAD_USER_INPUT"
    ]
    assert await public.fails("query($e: ID!) { node(id: $e) { id } }", e=evaluation["id"]) == [
        "NOT_FOUND"
    ]  # a draft
    await reviewer.ok(
        "mutation($e: ID!) { publishEvaluation(input: {id: $e}) { evaluation { status } } }",
        e=evaluation["id"],
    )

    # 6. What anyone can read: traceability both ways, the evaluation, the checklist.
    seen = await public.ok(
        "query($c: ID!, $p: ID!, $prop: ID!) { commitment: node(id: $c) { ... on Commitment { progress completionLevel "
        "addressesGaps { indicatorCode dimension { code } } takesUp { title supportCount outcome } "
        "evaluations { status ratings { code value { code } justification } } } } "
        "proposal: node(id: $prop) { ... on Contribution { outcome response commitments { code } comments { body } } } "
        "cocreationChecklist(actionPlanId: $p) { metCount total items { code met } } }",
        c=commitment,
        p=plan,
        prop=open_data,
    )
    seen_commitment = seen["commitment"]
    assert (seen_commitment["progress"], seen_commitment["completionLevel"]) == (
        60.0,
        "SUBSTANTIAL",
    )
    assert [g["indicatorCode"] for g in seen_commitment["addressesGaps"]] == ["C1", "C5"]
    assert seen_commitment["takesUp"] == [
        {"title": "Presupuesto en datos abiertos", "supportCount": 1, "outcome": "ACCEPTED"}
    ]
    assert seen_commitment["evaluations"][0]["status"] == "PUBLISHED"
    published = {
        r["code"]: r["value"] and r["value"]["code"]
        for r in seen_commitment["evaluations"][0]["ratings"]
    }
    assert published == {
        "VERIFIABILITY": "VERIFIABLE",
        "OPEN_GOVERNMENT_LENS": "YES",
        "POTENTIAL_FOR_RESULTS": "SUBSTANTIAL",
        "COMPLETION": "LIMITED",
        "DID_IT_OPEN_GOVERNMENT": None,
        "PROMISING": "YES",
    }
    assert seen["proposal"] == {
        "outcome": "ACCEPTED",
        "response": "Se incorpora como compromiso 1.",
        "commitments": [{"code": "1"}],
        "comments": [{"body": "¡Sí!"}],
    }
    checklist = seen["cocreationChecklist"]
    assert {i["code"]: i["met"] for i in checklist["items"]} == {
        "FORUM_EXISTS": True,
        "FORUM_MEETS": True,
        "PLAN_PUBLISHED": True,
        "CONSULTATION_OPEN_LONG_ENOUGH": True,
        "REASONED_RESPONSES": True,
        "PROGRESS_PUBLISHED": True,
    }
    assert (checklist["metCount"], checklist["total"]) == (6, 6)
