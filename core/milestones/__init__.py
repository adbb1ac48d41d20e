"""Milestones domain."""
