"""Actors: the organisations and offices that lead or support commitments."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped
from core.enums import ActorKind, db_enum


class Actor(Timestamped, TenantOwned, Base):
    __tablename__ = "actors"

    kind: Mapped[ActorKind] = mapped_column(db_enum(ActorKind, "actor_kind"))
    name: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    #: The contact person agreed to be shown to the public (else staff alone see the contact).
    contact_public: Mapped[bool] = mapped_column(default=False)
