"""The consultancy's portfolio: one summary row per municipality, kept by the unit of work."""
