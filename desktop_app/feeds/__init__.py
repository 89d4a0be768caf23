"""Feeds: SSI FastConnect (REST + hub), demo simulator and replay files; all produce SSI envelopes."""
