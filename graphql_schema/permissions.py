"""Declaring the permission a field needs: ``permission_classes=[requires(Permission.X)]``.

The implementation lives in ``plugins/gqltypes.py`` so that plugins declare permissions the
same way.
"""

from typing import Any

from core.identity.roles import Permission
from plugins.gqltypes import requires

__all__ = ["ACCOUNT_FOR_STAFF", "account", "requires"]

#: How a field that names an account says so in the schema.
ACCOUNT_FOR_STAFF = (
    "(its issuer's subject), for the municipality's staff (read_drafts or evaluate); null for "
    "everyone else: nothing the public reads names an account, whose subject is often an "
    "e-mail address (tests/graphql/test_privacy.py)."
)


def account(info: Any, subject: str | None) -> str | None:
    """``subject`` (an account: a person's issuer subject) for the municipality's staff;
    ``None`` for the public and participants."""
    principal = info.context.principal
    if principal.can(Permission.READ_DRAFTS) or principal.can(Permission.EVALUATE):
        return subject
    return None
