"""Benchmarks behind ``stock-tracker bench``."""
