"""GraphQL: plans."""
