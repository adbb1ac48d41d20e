"""every key of a tenant table includes tenant_id (api_clients.client_id)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("uq_api_clients_client_id", table_name="api_clients")
    op.create_index(
        "uq_api_clients_tenant_id_client_id",
        "api_clients",
        ["tenant_id", "client_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_api_clients_tenant_id_client_id", table_name="api_clients")
    op.create_index("uq_api_clients_client_id", "api_clients", ["client_id"], unique=True)
