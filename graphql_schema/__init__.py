"""The GraphQL API: strawberry types per domain, assembled with what plugins contribute."""
