"""What a request loaded is freed when it ends, by reference counting: nothing it read waits in
a reference cycle for the cyclic GC (whose full collections cost milliseconds per request)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from graphql_schema.pagination import Page
from tenants.database import Database
from tests.factories import gql
from tests.graphql.test_statement_counts import PORTAL, municipality_with


async def test_what_a_portal_query_loaded_is_freed_when_it_ends(client: Any, db: Database) -> None:
    slug = await municipality_with(db, 3)

    async def ask() -> Any:
        # In a task of its own, as a server runs it: what it sets in its context ends with it.
        return await asyncio.create_task(gql(client, PORTAL, tenant=slug))

    assert "errors" not in await ask()
    gc.collect()
    gc.disable()
    try:
        result = await ask()
        gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept to look at
        gc.collect()
        in_cycles = [obj for obj in gc.garbage if type(obj) is Page]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    gc.collect()
    kept = [obj for obj in gc.get_objects() if type(obj) is Page]  # held past the request
    assert "errors" not in result, result["errors"]
    commitments = result["data"]["municipality"]["actionPlans"]["nodes"][0]["commitments"]
    assert len(commitments["nodes"]) == 3  # pages were loaded, at every level
    assert in_cycles == []
    assert kept == []
