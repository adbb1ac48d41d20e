"""GraphQL types shared by the core schema and plugins' contributions."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.errors import Forbidden, Unauthenticated
from core.i18n import Message, msg
from core.identity.roles import Permission


@strawberry.type(description="A text in English, Spanish and Portuguese.")
class Text:
    en: str
    es: str
    pt: str


def text(message: Message) -> Text:
    return Text(en=message.en, es=message.es, pt=message.pt)


def optional_text(message: Message | None) -> Text | None:
    return text(message) if message is not None else None


@cache
def requires(permission: Permission) -> type[BasePermission]:
    """A permission class: anonymous callers get UNAUTHENTICATED, others FORBIDDEN."""

    class Requires(BasePermission):
        message = f"Requires {permission.value}"
        #: What the field needs; read by the tests that walk the permission table.
        needs = permission

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            principal = info.context.principal
            if principal.can(permission):
                return True
            if principal.is_anonymous:
                raise Unauthenticated(
                    msg(
                        "Sign in to do this.",
                        "Inicie sesión para hacer esto.",
                        "Entre para fazer isto.",
                    )
                )
            raise Forbidden(
                msg(
                    f"Your role cannot do this (needs {permission.value}).",
                    f"Su rol no permite hacer esto (requiere {permission.value}).",
                    f"O seu papel não permite fazer isto (requer {permission.value}).",
                )
            )

    Requires.__name__ = f"Requires_{permission.value}"
    return Requires
