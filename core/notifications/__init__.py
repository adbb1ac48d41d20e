"""Notifications: e-mail and signed webhooks, through an outbox of deliveries."""
