"""The municipality: the tenant. Not tenant-owned itself; every tenant-owned row points to it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped
from core.enums import Locale, MunicipalityStatus, db_enum
from core.ids import new_id


class Municipality(Timestamped, Base):
    __tablename__ = "municipalities"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_alpha2"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[int | None]
    website: Mapped[str | None] = mapped_column(String(500))
    locale: Mapped[Locale] = mapped_column(db_enum(Locale, "locale"), default=Locale.ES)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[MunicipalityStatus] = mapped_column(
        db_enum(MunicipalityStatus, "municipality_status"), default=MunicipalityStatus.ACTIVE
    )
    #: Bumped by the unit of work in every transaction that changes the municipality's
    #: content (``tenants/unit_of_work.py``): portals' ETags and the response cache key on it.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: The origins (``https://gobiernoabierto.villa.gob.ar``) of the municipality's own portals,
    #: allowed to call the API from a browser (CORS); set by its admins, audited.
    portal_origins: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    #: Tokens that speak for the municipality's people (its roles, its API clients, its
    #: identity providers) and were issued before this instant are refused: set when the
    #: municipality is imported, so that the people of one it replaces (deleted, then
    #: restored from an archive) must sign in again.
    tokens_not_before: Mapped[datetime | None] = mapped_column()
    #: Branding for its portals and e-mails: a primary colour (``#rrggbb``, legible under white
    #: text) and the hash of its logo (``MunicipalityLogo``), or ``None``.
    primary_color: Mapped[str | None] = mapped_column(String(7))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))


class MunicipalityLogo(Timestamped, TenantOwned, Base):
    """The municipality's logo, for its portals: a small image kept in the database (so it
    travels with the municipality's archive and goes with it), served at a stable address
    named by its hash. One at a time: a new logo replaces the old."""

    __tablename__ = "municipality_logos"
    __deletable__ = True

    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(255))
