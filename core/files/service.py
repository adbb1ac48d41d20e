"""Uploading a file as evidence of a milestone's progress: its type read from its bytes, its
size bounded, its bytes in the file store, its row audited."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.errors import BadUserInput
from core.files.models import EvidenceFile
from core.files.store import FileStore, key_for
from core.i18n import msg
from core.identity.principal import Principal
from core.milestones.models import Milestone
from core.plans import lifecycle
from core.plans.models import ActionPlan
from core.words import number

#: What evidence may be (an ordinance, signed minutes, a photograph), known by its first bytes,
#: never by the name or type the sender claims.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
ACCEPTED = ("application/pdf", "image/png", "image/jpeg", "image/webp")


def sniff(content: bytes) -> str | None:
    for signature, media_type in SIGNATURES:
        if content.startswith(signature):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


async def upload_evidence(
    session: AsyncSession,
    by: Principal,
    store: FileStore,
    milestone_id: uuid.UUID,
    filename: str,
    content: bytes,
    *,
    max_bytes: int,
) -> EvidenceFile:
    milestone = await lookups.get(session, Milestone, milestone_id, field="milestoneId")
    plan = await lookups.get(session, ActionPlan, milestone.plan_id)
    lifecycle.require_reporting(plan)
    if not content or len(content) > max_bytes:
        raise BadUserInput(
            msg(
                f"An evidence file has 1 byte to {number(max_bytes, 'en')} bytes.",
                f"Un archivo de evidencia tiene de 1 byte a {number(max_bytes, 'es')} bytes.",
                f"Um arquivo de evidência tem de 1 byte a {number(max_bytes, 'pt')} bytes.",
            ),
            field="file",
        )
    media_type = sniff(content)
    if media_type is None:
        raise BadUserInput(
            msg(
                "Evidence files are PDF, PNG, JPEG or WebP.",
                "Los archivos de evidencia son PDF, PNG, JPEG o WebP.",
                "Os arquivos de evidência são PDF, PNG, JPEG ou WebP.",
            ),
            field="file",
        )
    name = v.text("file", (filename or "").replace("/", "_").replace("\\", "_"), max_length=255)
    row = EvidenceFile(
        plan_id=milestone.plan_id,
        milestone_id=milestone.id,
        filename=name,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key="",
        uploaded_by=by.subject,
    )
    session.add(row)
    await session.flush()
    row.storage_key = key_for(row.tenant_id, row.id)
    # Written before the commit: a failed commit leaves an unreferenced file, never a row
    # without its bytes.
    store.put(row.storage_key, content)
    await session.flush()
    audit.record(session, by, "evidence.upload", row)
    return row
