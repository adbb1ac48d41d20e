from __future__ import annotations

import strawberry

from core.audit import service as audit
from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.permissions import requires


@strawberry.input
class RegisterPersistedDocumentsInput:
    documents: list[str] = strawberry.field(
        description="A portal's GraphQL documents, exactly as its client sends them."
    )


@strawberry.type
class RegisterPersistedDocumentsPayload:
    sha256_hashes: list[str] = strawberry.field(
        description="Each document's hash, in order: what the portal sends as "
        "extensions.persistedQuery.sha256Hash."
    )


@strawberry.type
class PortalMutations:
    @strawberry.mutation(
        description="Trust a portal's documents: with trusted documents on, anonymous clients "
        "may run only registered documents, by hash. Registered documents are shared by every "
        "municipality (they are queries, and still see only what the caller may see).",
        permission_classes=[requires(Permission.MANAGE_PORTALS)],
    )
    async def register_persisted_documents(
        self, info: Info, input: RegisterPersistedDocumentsInput
    ) -> RegisterPersistedDocumentsPayload:
        context = info.context
        tenant = context.tenant()
        hashes = context.persisted.check(input.documents)
        async with context.transaction() as session:
            audit.record(
                session,
                context.principal,
                "persisted_documents.register",
                tenant.municipality,
                before=None,
                after={"sha256Hashes": hashes},
            )
        await context.persisted.register(input.documents)
        return RegisterPersistedDocumentsPayload(sha256_hashes=hashes)
