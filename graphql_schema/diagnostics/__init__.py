"""GraphQL: diagnostics."""
