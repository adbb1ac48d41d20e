"""Two municipalities under random traffic: a Hypothesis state machine drives a live server with
creates, updates, publications, progress reports and exports by the editors of both, and
tries each one's objects with the other's token. After every step, neither municipality reads,
links to or changes anything of the other's.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from tests.graphql.conftest import seeded, serving

OWNERS = ("demo", "otra")
START, END = "2026-01-01", "2027-12-31"

#: Within the cost limit; a run makes fewer objects than these pages hold.
EVERYTHING = """{ actionPlans(first: 20) { nodes { id
  commitments(first: 40) { nodes { id milestones(first: 40) { nodes { id commitment { id } } } } } } } }"""


@pytest.fixture(scope="module")
def two_municipalities(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    env = seeded(tmp_path_factory.mktemp("machine"))
    usina = [sys.executable, "-m", "usina"]
    subprocess.run(
        [*usina, "tenants", "create", "--slug", "otra", "--name", "Otra", "--country", "UY"],
        env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    tokens = {
        slug: subprocess.run(
            [*usina, "tokens", "issue", "--tenant", slug, "--role", "tenant_admin",
             "--subject", f"admin-{slug}"],
            env=env, check=True, capture_output=True, text=True, timeout=60,
        ).stdout.strip()
        for slug in OWNERS
    }  # fmt: skip
    with serving(env) as url, httpx.Client(timeout=30) as http:
        yield {"url": url, "tokens": tokens, "http": http}


class TwoMunicipalities(RuleBasedStateMachine):
    """The model: which global IDs each municipality created (``owned``)."""

    live: dict[str, Any]
    plans = Bundle("plans")
    commitments = Bundle("commitments")
    milestones = Bundle("milestones")

    def __init__(self) -> None:
        super().__init__()
        self.owned: dict[str, set[str]] = {owner: set() for owner in OWNERS}
        self.jobs: dict[str, set[str]] = {owner: set() for owner in OWNERS}
        self.codes = 0

    def ask(self, who: str, document: str, **variables: Any) -> dict[str, Any]:
        answer = self.live["http"].post(
            self.live["url"],
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {self.live['tokens'][who]}"},
        )
        assert answer.status_code < 500, answer.text
        body: dict[str, Any] = answer.json()
        for error in body.get("errors") or []:
            assert error["extensions"]["code"] in ("NOT_FOUND", "CONFLICT", "BAD_USER_INPUT"), (
                document,
                error,
            )
        return body

    def created(self, who: str, body: dict[str, Any], *path: str) -> Any:
        if body.get("errors"):
            return multiple()
        value: Any = body["data"]
        for key in path:
            value = value[key]
        self.owned[who].add(value)
        return (who, value)

    @initialize(target=plans)
    def a_plan_each(self) -> Any:
        made = []
        for who in OWNERS:
            body = self.ask(
                who,
                'mutation($s: Date!, $e: Date!) { createActionPlan(input: {title: "Plan", '
                "startDate: $s, endDate: $e}) { actionPlan { id } } }",
                s=START,
                e=END,
            )
            made.append(self.created(who, body, "createActionPlan", "actionPlan", "id"))
        return multiple(*made)

    @rule(target=commitments, plan=plans, title=st.text(min_size=1, max_size=30))
    def create_commitment(self, plan: tuple[str, str], title: str) -> Any:
        who, plan_id = plan
        self.codes += 1
        body = self.ask(
            who,
            "mutation($p: ID!, $c: String!, $t: String!, $s: Date!, $e: Date!) { "
            "createCommitment(input: {actionPlanId: $p, code: $c, title: $t, startDate: $s, "
            "endDate: $e}) { commitment { id } } }",
            p=plan_id,
            c=f"C{self.codes}",
            t=title,
            s=START,
            e=END,
        )
        return self.created(who, body, "createCommitment", "commitment", "id")

    @rule(target=milestones, commitment=commitments)
    def create_milestone(self, commitment: tuple[str, str]) -> Any:
        who, commitment_id = commitment
        body = self.ask(
            who,
            "mutation($c: ID!, $s: Date!, $e: Date!) { createMilestone(input: {commitmentId: $c, "
            'title: "Hito", startDate: $s, endDate: $e}) { milestone { id } } }',
            c=commitment_id,
            s=START,
            e=END,
        )
        return self.created(who, body, "createMilestone", "milestone", "id")

    @rule(commitment=commitments, title=st.text(min_size=1, max_size=30))
    def update_commitment(self, commitment: tuple[str, str], title: str) -> None:
        who, commitment_id = commitment
        self.ask(
            who,
            "mutation($c: ID!, $t: String!) { updateCommitment(input: {id: $c, title: $t}) "
            "{ commitment { id } } }",
            c=commitment_id,
            t=title,
        )

    @rule(plan=plans)
    def publish(self, plan: tuple[str, str]) -> None:
        who, plan_id = plan
        for to in ("COCREATION", "PUBLISHED"):
            self.ask(
                who,
                "mutation($p: ID!, $to: ActionPlanStatus!) { transitionActionPlan(input: "
                "{id: $p, to: $to}) { actionPlan { status } } }",
                p=plan_id,
                to=to,
            )
        self.ask(
            who,
            "mutation($p: ID!) { publishActionPlanChanges(input: {actionPlanId: $p}) "
            "{ version { number } } }",
            p=plan_id,
        )

    @rule(milestone=milestones, percent=st.integers(0, 100))
    def report(self, milestone: tuple[str, str], percent: int) -> None:
        who, milestone_id = milestone
        self.ask(
            who,
            "mutation($m: ID!, $p: Float!) { reportProgress(input: {milestoneId: $m, "
            "percent: $p}) { milestone { progress } } }",
            m=milestone_id,
            p=percent,
        )

    @rule(plan=plans, fmt=st.sampled_from(["CSV", "JSON", "HTML", "XLSX"]))
    def export(self, plan: tuple[str, str], fmt: str) -> None:
        who, plan_id = plan
        body = self.ask(
            who,
            "mutation($p: ID!, $f: ExportFormat!) { exportActionPlan(input: {actionPlanId: $p, "
            "format: $f}) { job { id } } }",
            p=plan_id,
            f=fmt,
        )
        if not body.get("errors"):
            self.jobs[who].add(body["data"]["exportActionPlan"]["job"]["id"])

    @rule(thing=st.one_of(plans, commitments, milestones))
    def the_other_tries_it(self, thing: tuple[str, str]) -> None:
        owner, thing_id = thing
        other = OWNERS[1 - OWNERS.index(owner)]
        read = self.ask(other, "query($id: ID!) { node(id: $id) { id } }", id=thing_id)
        assert read["data"]["node"] is None, (other, thing_id)
        for document in (
            'mutation($id: ID!) { updateActionPlan(input: {id: $id, title: "x"}) '
            "{ actionPlan { id } } }",
            'mutation($id: ID!) { updateCommitment(input: {id: $id, title: "x"}) '
            "{ commitment { id } } }",
            "mutation($id: ID!) { reportProgress(input: {milestoneId: $id, percent: 1}) "
            "{ milestone { id } } }",
            "mutation($id: ID!, $s: Date!, $e: Date!) { createCommitment(input: {actionPlanId: "
            '$id, code: "X", title: "x", startDate: $s, endDate: $e}) { commitment { id } } }',
        ):
            tried = self.ask(other, document, id=thing_id, s=START, e=END)
            codes = [e["extensions"]["code"] for e in tried.get("errors") or []]
            assert codes and set(codes) <= {"NOT_FOUND", "BAD_USER_INPUT"}, (document, tried)

    @rule(commitment=consumes(commitments))
    def forget(self, commitment: tuple[str, str]) -> None:
        """The model stops using a commitment (it stays in its municipality)."""

    @invariant()
    def neither_reads_nor_links_to_the_other(self) -> None:
        for who in OWNERS:
            other = OWNERS[1 - OWNERS.index(who)]
            body = self.ask(who, EVERYTHING)
            seen: set[str] = set()
            for plan in body["data"]["actionPlans"]["nodes"]:
                seen.add(plan["id"])
                for commitment in plan["commitments"]["nodes"]:
                    seen.add(commitment["id"])
                    for milestone in commitment["milestones"]["nodes"]:
                        assert milestone["commitment"]["id"] == commitment["id"]
                        seen.add(milestone["id"])
            assert not seen & self.owned[other], (who, seen & self.owned[other])
            assert self.owned[who] <= seen, (who, self.owned[who] - seen)
            for job in self.jobs[who] | self.jobs[other]:  # an export's job, and its file
                node = self.ask(who, "query($id: ID!) { node(id: $id) { id } }", id=job)
                assert (node["data"]["node"] is not None) == (job in self.jobs[who]), (who, job)


def test_two_municipalities_never_touch_each_other(two_municipalities: dict[str, Any]) -> None:
    TwoMunicipalities.live = two_municipalities
    run = TwoMunicipalities.TestCase
    run.settings = settings(
        max_examples=6,
        stateful_step_count=12,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    run().runTest()
