"""A request's objects are freed by reference counting when it ends: none of the executor,
the request's context, its session and its rows waits in a reference cycle for the cyclic GC
(a cycle through the executor kept them all, a hundred-odd objects per portal query, and made
collections run several times as often). On both databases."""

from __future__ import annotations

import gc
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.identity.tokens import TokenService
from graphql_schema.context import Context
from graphql_schema.execution import FastExecutor
from graphql_schema.view import PORTAL_QUERY
from tests.factories import World, gql


async def test_a_portal_query_leaves_its_executor_context_and_session_to_reference_counting(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)  # executed: no cache
    for _ in range(2):  # warm: caches filled, nothing left to build once
        answer = await gql(client, PORTAL_QUERY, tenant=world.a.slug, token=editor)
        assert "errors" not in answer, answer
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            answer = await gql(client, PORTAL_QUERY, tenant=world.a.slug, token=editor)
            assert answer["data"]["municipality"]["actionPlans"]["nodes"], answer
        gc.collect()
        kept = (FastExecutor, Context, AsyncSession, Session)
        left = sorted({type(o).__name__ for o in gc.garbage if issubclass(type(o), kept)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not left, left
