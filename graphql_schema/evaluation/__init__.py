"""GraphQL: evaluation."""
