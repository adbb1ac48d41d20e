"""Scalars with the specifications they follow (``@specifiedBy``), so clients and code
generators know the exact format."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition

#: The graphql-scalars.com specifications of RFC 3339's full-date and date-time.
DATE_SPEC = "https://scalars.graphql.org/andimarek/local-date.html"
DATE_TIME_SPEC = "https://scalars.graphql.org/andimarek/date-time.html"

OVERRIDES: dict[object, Any] = {
    datetime.date: dataclasses.replace(
        DateDefinition,
        description="A calendar date, YYYY-MM-DD (RFC 3339 full-date).",
        specified_by_url=DATE_SPEC,
    ),
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="A date and time, RFC 3339 (answers always carry their UTC offset).",
        specified_by_url=DATE_TIME_SPEC,
    ),
}
