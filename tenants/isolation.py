"""Tenant scoping, in one place.

Three layers, all installed on :class:`TenantSession`:

1. ``do_orm_execute``: every ORM SELECT, UPDATE and DELETE gets SQLAlchemy's global WHERE
   criteria (``with_loader_criteria``) for ``tenant_id`` and, for principals who do not see
   drafts, what ``core/publication.py`` says the public sees. A session bound to no
   municipality sees no tenant row.
2. ``before_flush``: the flush guard. New tenant-owned rows take the bound municipality; a row
   of another municipality, or an update or delete of an append-only row, aborts the flush.
3. ``after_begin`` (PostgreSQL): ``SET LOCAL app.tenant_id = ...`` for the transaction,
   which the row-level security policies read (see ``tenants/rls.py``), and the request's
   ``statement_timeout`` when the session has one. Never a session ``SET``: a pooled connection
   must not carry one request's tenant (or deadline) into the next.

Services never write ``where(tenant_id == ...)``: if one needs to, this mechanism is leaking.
"""

from __future__ import annotations

import uuid
from typing import Any

from asyncpg.transaction import TransactionState
from sqlalchemy import event, false
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.util import await_only

from core import publication
from core.db.base import TenantOwned
from core.errors import AppendOnly, IsolationViolation
from core.i18n import msg
from tenants import speed
from tenants.context import TenantBinding

#: Execution option that switches the ORM-level filter off (tests prove RLS holds alone).
UNFILTERED = "usina_unfiltered"


class TenantSession(Session):
    """The sync session behind every ``AsyncSession`` Usina opens.

    ``info["tenant"]`` holds the :class:`TenantBinding` fixed when the session was created.
    """

    @property
    def binding(self) -> TenantBinding | None:
        return self.info.get("tenant")


@event.listens_for(TenantSession, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent query already carried the criteria
    if state.execution_options.get(UNFILTERED):
        return
    binding: TenantBinding | None = state.session.info.get("tenant")
    if binding is None:
        state.statement = state.statement.options(
            with_loader_criteria(TenantOwned, lambda cls: false(), include_aliases=True)
        )
        return
    tenant_id = binding.tenant_id
    options: list[Any] = [
        with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    ]
    options.extend(
        publication.visibility_criteria(
            tenant_id,
            sees_drafts=binding.sees_drafts,
            sees_evaluation_drafts=binding.sees_evaluation_drafts,
            author=binding.author,
        )
    )
    state.statement = state.statement.options(*options)


@event.listens_for(TenantSession, "before_flush")
def _flush_guard(session: Session, _context: Any, _instances: Any) -> None:
    binding: TenantBinding | None = session.info.get("tenant")
    for obj in session.new:
        if isinstance(obj, TenantOwned):
            if binding is None:
                raise IsolationViolation(
                    msg(
                        "A municipality's data was written without binding to it.",
                        "Se escribieron datos de un municipio sin vincularse a él.",
                        "Foram escritos dados de um município sem se vincular a ele.",
                    )
                )
            if obj.tenant_id is None:
                obj.tenant_id = binding.tenant_id
            _check_same_tenant(obj, binding)
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if obj.__append_only__ and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnly(
                msg(
                    f"{type(obj).__name__} records are append-only.",
                    f"Los registros {type(obj).__name__} no se pueden modificar ni borrar.",
                    f"Os registros {type(obj).__name__} não podem ser modificados nem apagados.",
                )
            )
        if binding is None:
            raise IsolationViolation(
                msg(
                    "Write without a municipality.",
                    "Escritura sin municipio vinculado.",
                    "Escrita sem município vinculado.",
                )
            )
        _check_same_tenant(obj, binding)


def _check_same_tenant(obj: TenantOwned, binding: TenantBinding) -> None:
    if obj.tenant_id != binding.tenant_id:
        raise IsolationViolation(
            msg(
                "Refused to write another municipality's data.",
                "Se rechazó escribir datos de otro municipio.",
                "Foi recusada a escrita de dados de outro município.",
            )
        )


#: ``session.info`` key: the PostgreSQL ``statement_timeout`` (ms) of the session's transactions.
STATEMENT_TIMEOUT = "statement_timeout_ms"


def binding_statements(tenant_id: uuid.UUID | None, timeout_ms: int | None = None) -> list[str]:
    """The statements that bind a PostgreSQL transaction to one municipality (or to none).

    ``SET LOCAL``, not ``set_config()``: on Citus, with ``citus.propagate_set_commands =
    'local'`` (set on the database by ``usina scale distribute``), a ``SET LOCAL`` reaches the
    workers that hold the shards, and ``set_config()`` does not (every insert would then fail
    the policy on the shard, every read would find nothing). ``SET`` takes no parameters: the
    value is a UUID Usina made, re-validated here before it is written into the statement.
    """
    tenant = str(uuid.UUID(str(tenant_id))) if tenant_id is not None else ""
    statements = [f"SET LOCAL app.tenant_id = '{tenant}'"]
    if timeout_ms is not None:  # the request's deadline, enforced by the server too
        statements.append(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
    return statements


@event.listens_for(TenantSession, "after_begin")
def _set_rls_tenant(session: Session, _transaction: Any, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    binding: TenantBinding | None = session.info.get("tenant")
    timeout_ms: int | None = session.info.get(STATEMENT_TIMEOUT)
    statements = binding_statements(binding.tenant_id if binding else None, timeout_ms)
    if speed.FAST.get() and _begin_with(connection, statements):
        return
    for statement in statements:
        connection.exec_driver_sql(statement)


#: ``BEGIN``'s clause for each isolation level SQLAlchemy's asyncpg adapter may hold (asyncpg's).
_ISOLATION = {
    None: "",
    "read_committed": " ISOLATION LEVEL READ COMMITTED",
    "read_uncommitted": " ISOLATION LEVEL READ UNCOMMITTED",
    "repeatable_read": " ISOLATION LEVEL REPEATABLE READ",
    "serializable": " ISOLATION LEVEL SERIALIZABLE",
}


def begin_query(adapted: Any, statements: list[str]) -> str | None:
    """``BEGIN`` as SQLAlchemy's asyncpg adapter ``adapted`` would send it (its isolation level,
    read-only and deferrable settings), followed by ``statements``: one simple query. ``None``
    for an adapter in autocommit, or whose isolation level this does not know."""
    isolation = getattr(adapted, "isolation_level", "autocommit")
    if isolation not in _ISOLATION:
        return None
    begin = "BEGIN" + _ISOLATION[isolation]
    begin += " READ ONLY" if getattr(adapted, "readonly", False) else ""
    begin += " DEFERRABLE" if getattr(adapted, "deferrable", False) else ""
    return "; ".join([begin, *statements])


def _begin_with(connection: Any, statements: list[str]) -> bool:
    """On asyncpg, ``BEGIN`` and ``statements`` in one simple query (one round trip, where
    SQLAlchemy's adapter would send ``BEGIN`` and then each statement on its own), the
    transaction then handed to the adapter as the one it would have begun. ``False`` (nothing
    done) where the connection is not asyncpg's adapter as this knows it, or is already in a
    transaction: the caller then runs the statements itself.

    A failure rolls back what began and raises SQLAlchemy's ``DBAPIError``, as
    ``exec_driver_sql`` would.
    """
    adapted = connection.connection.dbapi_connection
    driver = getattr(adapted, "driver_connection", None)
    if (
        driver is None
        or getattr(adapted, "_transaction", True) is not None
        or not hasattr(adapted, "_execute_mutex")
        or getattr(driver, "_top_xact", True) is not None
        or driver.is_in_transaction()
    ):
        return False
    transaction = driver.transaction(
        isolation=adapted.isolation_level, readonly=adapted.readonly, deferrable=adapted.deferrable
    )
    query = begin_query(adapted, statements)
    if query is None or getattr(transaction, "_state", None) is not TransactionState.NEW:
        return False
    if connection._has_events or connection.engine._has_events:
        for statement in statements:  # listeners see each, as when they were sent one by one
            connection.dispatch.before_cursor_execute(connection, None, statement, (), None, False)
    try:
        await_only(_begin(adapted, driver, transaction, query))
    except Exception as error:
        try:
            adapted._handle_exception(error)
        except Exception as translated:
            connection._handle_dbapi_exception(translated, query, (), None, None)
        raise
    return True


async def _begin(adapted: Any, driver: Any, transaction: Any, query: str) -> None:
    async with adapted._execute_mutex:
        driver._top_xact = transaction
        try:
            await driver.execute(query)
        except BaseException:
            driver._top_xact = None
            if not driver.is_closed() and driver.is_in_transaction():
                await driver.execute("ROLLBACK")
            raise
        transaction._state = TransactionState.STARTED
        adapted._transaction = transaction
