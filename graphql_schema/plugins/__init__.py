"""GraphQL: plugins."""
