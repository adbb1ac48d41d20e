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
