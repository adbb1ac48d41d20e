from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core.jobs.models import Job as JobRow
from core.jobs.models import JobStatus
from core.notifications.models import WebhookEndpoint as WebhookRow
from graphql_schema.context import Info
from graphql_schema.relay import Node
from tenants.access import fresh_keys

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")

FILE_LINK_SECONDS = 3600


@strawberry.enum
class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    HTML = "html"
    XLSX = "xlsx"


@strawberry.type(
    description="A file of the municipality's open data at its stable public address, as its "
    "DCAT catalogue lists it (/open-data/{slug}/catalog.jsonld): no token, no expiry."
)
class OpenDataFile:
    format: ExportFormat
    media_type: str
    url: str
    excel_url: str | None = strawberry.field(
        default=None,
        description="For a CSV: the same file as Excel opens it in the municipality's language "
        "(?dialect=excel: in Spanish and Portuguese, ; between columns and decimal commas).",
    )


def open_data_files(
    info: Info, path: Callable[[str, uuid.UUID, str], str], key: uuid.UUID, formats: dict[str, Any]
) -> list[OpenDataFile]:
    """The files at ``path(slug, key, fmt)`` for each of ``formats`` (format -> (label, type))."""
    context = info.context
    base = context.settings.link_base(str(context.request.base_url))
    slug = context.tenant().binding.slug
    return [
        OpenDataFile(
            format=ExportFormat(fmt),
            media_type=media,
            url=base + path(slug, key, fmt),
            excel_url=base + path(slug, key, fmt) + "?dialect=excel" if fmt == "csv" else None,
        )
        for fmt, (_, media) in formats.items()
    ]


@strawberry.type(description="A background job: an export, a recompute, a notification, ...")
class Job(Node):
    row: strawberry.Private[JobRow]
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    error: str | None
    result: JSON | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @strawberry.field(
        description="What the job was asked to do (an import's file is summarised, not repeated)."
    )
    def args(self) -> JSON:
        args = dict(self.row.args)
        content = args.get("content")
        if isinstance(content, str):
            args["content"] = {"omitted": True, "base64Length": len(content)}
        return args  # type: ignore[return-value]

    @strawberry.field(
        description="For a finished export: a link to download its file, valid for an hour "
        "(on the deployment's public URL, or the host this request was sent to)."
    )
    async def download_url(self, info: Info) -> str | None:
        file_id = (self.row.result or {}).get("fileId")
        if self.row.status is not JobStatus.SUCCEEDED or not file_id:
            return None
        context = info.context
        tokens = context.tokens
        await fresh_keys(context.db, tokens)
        token = tokens.sign(
            {"sub": f"file:{file_id}", "file": file_id, "tenant": context.tenant().binding.slug},
            ttl_seconds=FILE_LINK_SECONDS,
        )
        base = context.settings.link_base(str(context.request.base_url))
        return f"{base}/files/{file_id}?token={token}"


@strawberry.type(description="A URL the municipality's events are posted to, signed.")
class WebhookEndpoint(Node):
    row: strawberry.Private[WebhookRow]
    url: str
    events: list[str] = strawberry.field(description="Event types it receives; empty: all.")
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None
    created_at: datetime
