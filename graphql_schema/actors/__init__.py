"""GraphQL: actors."""
