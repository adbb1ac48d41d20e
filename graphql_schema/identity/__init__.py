"""Identity and access: memberships, API clients, identity providers, consultants."""
