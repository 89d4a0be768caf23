"""VN30 Stock Tracker: live VN30 market watch persisted to PostgreSQL."""

__version__ = "0.1.0"
