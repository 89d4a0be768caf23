"""Read-only history REST API."""
