"""Municipalities domain."""
