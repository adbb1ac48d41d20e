"""An uploaded file offered as evidence of a milestone's progress."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sqlalchemy import ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, Timestamped


class EvidenceFile(Timestamped, PlanScoped, Base):
    """The file's description; its bytes are in the file store under ``storage_key``. Shown
    to the public once a progress report of published content cites it."""

    __bookkeeping__: ClassVar[bool] = True
    __tablename__ = "evidence_files"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "milestone_id"], ["milestones.tenant_id", "milestones.id"]
        ),
    )

    milestone_id: Mapped[uuid.UUID]
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(255))
