"""docs/scaling.md lists every table as distributed (by tenant_id) or reference."""

from __future__ import annotations

import re

from core.db.base import TenantOwned
from core.models import Base
from tenants import plugin_activations  # noqa: F401  (its table)
from tests.conftest import REPO


def test_every_table_is_placed_for_citus() -> None:
    doc = (REPO / "docs" / "scaling.md").read_text()
    distributed_part = doc.split("**Distributed by `tenant_id`")[1].split("**Reference tables**")[0]
    reference_part = doc.split("**Reference tables**")[1].split("`alembic_version`")[0]
    distributed = set(re.findall(r"`([a-z_]+)`", distributed_part)) - {"tenant_id"}
    reference = set(re.findall(r"`([a-z_]+)`", reference_part))
    owned = {
        m.persist_selectable.name
        for m in Base.registry.mappers
        if issubclass(m.class_, TenantOwned)
    }
    everything = {t.name for t in Base.metadata.sorted_tables}
    assert distributed == owned
    assert reference == everything - owned
