"""When one field fails, graphql-core cancels its siblings: a sibling cancelled in the middle of
a statement must not leave the request's session unclosable (which answered a spurious
GRAPHQL_VALIDATION_FAILED, "Method 'close()' can't be called here"). On both databases."""

from __future__ import annotations

from typing import Any

from core.identity.tokens import TokenService
from tests.factories import World, error_codes, gql

#: ``auditEvents`` is refused to an editor while ``actors`` and the plans are being read.
DOCUMENT = """{
  actors(first: 20) { totalCount nodes { name } }
  actionPlans(first: 5) { nodes { commitments(first: 10) { nodes { milestones(first: 10) { totalCount } } } } }
  auditEvents(first: 5) { totalCount }
}"""


async def test_a_refused_field_cancels_its_siblings_and_the_answer_says_only_why(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    for _ in range(25):  # the sibling is cancelled wherever it happens to be
        result = await gql(client, DOCUMENT, token=editor)
        assert error_codes(result) == ["FORBIDDEN"], result
        assert result["data"] is None
    after = await gql(client, "{ actors(first: 1) { totalCount } }", token=editor)
    assert error_codes(after) == [], after


async def test_a_plugins_fields_read_safely_when_a_sibling_is_refused(
    client: Any, world: World, tokens: TokenService
) -> None:
    """Plugins read through ``context.read`` (``usina.Info``): their fields, cancelled by a
    refused sibling, leave the session as usable as the core's do."""
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    document = (
        "query($c: ID!, $p: ID!) { commitmentKpis(commitmentId: $c) { code latest { value } } "
        "cocreationChecklist(actionPlanId: $p) { items { code met } } "
        "auditEvents(first: 5) { totalCount } }"
    )
    variables = {"c": a.gid("Commitment"), "p": a.gid("ActionPlan")}
    for _ in range(25):
        result = await gql(client, document, variables, token=editor)
        assert error_codes(result) == ["FORBIDDEN"], result
    fine = await gql(
        client,
        document.replace("auditEvents(first: 5) { totalCount } ", ""),
        variables,
        token=editor,
    )
    assert error_codes(fine) == [], fine
    assert fine["data"]["commitmentKpis"][0]["code"] == "K1"
    assert fine["data"]["cocreationChecklist"]["items"]


async def test_shielded_work_ends_before_its_cancelled_caller_lets_go() -> None:
    """Look-ahead's statements run in one shielded task: a cancelled caller waits for all of
    them to end, and each statement runs in that task (no task and shield of its own)."""
    import asyncio
    from types import SimpleNamespace

    import pytest

    from graphql_schema.context import Context

    request: Any = SimpleNamespace(db_lock=asyncio.Lock(), parent=None)
    ended: list[int] = []
    ran_in: list[Any] = []

    async def statement(n: int) -> None:
        ran_in.append(asyncio.current_task())
        await asyncio.sleep(0.01)
        ended.append(n)

    async def levels() -> None:
        for n in range(3):
            await Context.exclusive(request, lambda n=n: statement(n))

    caller = asyncio.ensure_future(Context.shielded(request, levels))
    await asyncio.sleep(0.005)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert ended == [0, 1, 2]
    assert len(set(ran_in)) == 1
    ran_in.clear()
    await levels()  # outside: a task per statement, as before
    assert len(set(ran_in)) == 3
