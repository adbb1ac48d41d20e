"""Open-data exports of action plans (CSV with OGP dataset columns, JSON, printable HTML)."""
