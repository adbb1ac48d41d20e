"""Identity and access rows.

Platform-level (read before a request is bound to a municipality, so not row-level secured):
people, the consultancy's grants, the built-in issuer's signing keys. Tenant-owned (row-level
secured like any municipal data): memberships, API clients and trusted identity providers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped
from core.enums import db_enum
from core.identity.roles import Role
from core.ids import new_id


class Person(Timestamped, Base):
    """One human, as an identity provider knows them: ``(issuer, subject)``. A person invited
    by e-mail has no subject until their first sign-in at that issuer claims the invitation."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("issuer", "subject"),
        Index("ix_people_issuer_email", "issuer", "email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    #: ``platform_admin`` or ``consultant`` for the consultancy's staff; ``None`` otherwise.
    staff_role: Mapped[Role | None] = mapped_column(db_enum(Role, "staff_role"))
    last_seen_at: Mapped[datetime | None] = mapped_column()


class ConsultantGrant(Base):
    """A consultant may act in this municipality (with the consultant's permissions)."""

    __tablename__ = "consultant_grants"
    __table_args__ = (UniqueConstraint("person_id", "municipality_id"),)
    __deletable__: ClassVar[bool] = True

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    granted_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column()


class SigningKey(Base):
    """A private key of the built-in issuer. The newest unretired key signs; a retired key
    still verifies until every token it signed has expired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(100), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    private_jwk: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()


class Membership(Timestamped, TenantOwned, Base):
    """A person's role in one municipality."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "person_id"),)
    __deletable__: ClassVar[bool] = True

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    role: Mapped[Role] = mapped_column(db_enum(Role, "membership_role"))
    created_by: Mapped[str] = mapped_column(String(255))


class ApiClient(Timestamped, TenantOwned, Base):
    """A portal or integration that gets tokens with the client-credentials grant.

    ``client_id`` starts with the municipality's slug, so the token endpoint knows which
    municipality to look in before anything is bound. Only the secret's SHA-256 is stored.
    """

    __tablename__ = "api_clients"
    #: Unique within the municipality (a key of a tenant table includes ``tenant_id``, which
    #: Citus requires); the slug prefix keeps it unique across them too.
    __table_args__ = (
        Index("uq_api_clients_tenant_id_client_id", "tenant_id", "client_id", unique=True),
    )

    client_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: The role the client acts with (``None``: the public's reads, on its own budget).
    role: Mapped[Role | None] = mapped_column(db_enum(Role, "api_client_role"))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column()


class IdentityProvider(Timestamped, TenantOwned, Base):
    """An OpenID Connect provider the municipality trusts to vouch for its people."""

    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer"),)
    __deletable__: ClassVar[bool] = True

    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    audience: Mapped[str] = mapped_column(String(500))
    #: Claims that carry the e-mail address and the roles (a string or a list of strings).
    email_claim: Mapped[str] = mapped_column(String(100), default="email")
    roles_claim: Mapped[str] = mapped_column(String(100), default="roles")
    #: The provider's role names -> Usina's municipal roles.
    role_mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The role of a person the provider vouches for with no mapped role and no membership.
    default_role: Mapped[Role | None] = mapped_column(db_enum(Role, "idp_default_role"))
    created_by: Mapped[str] = mapped_column(String(255))
