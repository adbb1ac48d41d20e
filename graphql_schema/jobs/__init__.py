"""Background jobs and webhooks."""
