"""Alembic migrations of the registry database (run on every server start)."""
