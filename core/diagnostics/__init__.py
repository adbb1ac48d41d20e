"""Diagnostics: assessments of a municipality with an instrument a plugin defines."""
