"""Plugins (pluggy) arrive with the plugins issue."""
