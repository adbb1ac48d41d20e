"""Background jobs: their records (what runs where the request cannot wait)."""
