"""GraphQL: commitments."""
