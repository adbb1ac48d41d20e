"""Database kernel: declarative base, tenant-owned mixins and engines."""
