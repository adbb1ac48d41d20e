"""The switch of the speed layer (``USINA_ENGINE``), read where its code would run.

With ``fast`` (the default) the code that beats the libraries' generic paths runs:
``graphql_schema/execution.py``'s executor, the statements ``tenants/compiled_reads.py``
compiles for asyncpg, ``tenants/isolation.py``'s one-round-trip ``BEGIN`` with the
municipality's settings, and the look-ahead of ``graphql_schema/prefetch.py``. With
``stock`` the same answers come from graphql-core's executor, SQLAlchemy's public statement
path and the loaders alone (``tests/graphql/test_engines.py`` compares them).

The app sets it for each request (a middleware), the worker for each job: a context variable,
so that two apps in one process (the tests') each keep their own.

The layer is a list of files today (``tests/test_speed_fence.py``'s ``SPEED``: the executor,
the loaders and look-ahead, the compiled reads, the isolation's ``BEGIN``, the worker loop);
outside them no code reads a library's private names, which that test enforces. Not switched
yet: the loaders' batching and the worker loop (issue 34).
"""

from __future__ import annotations

from contextvars import ContextVar

FAST: ContextVar[bool] = ContextVar("usina_speed_layer", default=True)
