"""Benchmarks for promptcache's core (scripts, not tests). Run: python -m benchmarks.<name>."""
