"""Database: the only layer that speaks SQL."""
