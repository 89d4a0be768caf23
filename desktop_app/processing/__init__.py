"""Processing: classification, foreign flow, basis, alerts, live stats. Pure Python: no Qt, no SQL."""
