"""One parse of a document per process: the response cache's planning and execution share it.

strawberry's ``ParserCache`` keeps its LRU to itself, so a cacheable anonymous query was
parsed twice (once to see whether it is a query, once to run it): for a document near the
token limit that is two thirds of what refusing it costs. Documents longer than
``CACHED_CHARS`` are parsed every time, so the cache never holds more than 256 small texts.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import DocumentNode, parse
from strawberry.extensions import SchemaExtension

CACHED_CHARS = 65_536


@lru_cache(maxsize=256)
def _cached(document: str, max_tokens: int | None) -> DocumentNode:
    return parse(document, max_tokens=max_tokens)


def parsed(document: str, max_tokens: int | None = None) -> DocumentNode:
    """The document, parsed within ``max_tokens`` (a refusal raises ``GraphQLError`` and is
    not kept)."""
    if len(document) > CACHED_CHARS:
        return parse(document, max_tokens=max_tokens)
    return _cached(document, max_tokens)


class ParsedDocuments(SchemaExtension):
    """Parses through ``parsed``, with the parse options other extensions set (the token
    limit of strawberry's ``MaxTokensLimiter``)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options = context.parse_options
        context.graphql_document = parsed(context.query or "", options.get("max_tokens"))
        yield
