"""Usina: the CLI and, as plugins arrive, the public plugin-author API."""

__all__: list[str] = []
