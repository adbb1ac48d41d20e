"""GraphQL: participation."""
