"""Participation: channels on an action plan and what people contribute to them."""
