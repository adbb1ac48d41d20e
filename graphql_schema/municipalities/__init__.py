"""GraphQL: municipalities."""
