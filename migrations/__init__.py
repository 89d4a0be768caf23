"""Alembic migrations for the stock tracker (installed as a package so ``db upgrade`` finds them)."""
