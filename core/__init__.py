"""Usina's domain kernel: settings, database, identity, errors and the Open Government domain.

Nothing here imports ``tenants``, ``plugins``, ``graphql_schema`` or ``workers``.
"""
