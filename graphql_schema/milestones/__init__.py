"""GraphQL: milestones."""
