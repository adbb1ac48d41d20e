"""Commitments domain."""
