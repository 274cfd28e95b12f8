"""Benchmarks for briefing (run from the repository root, e.g. python -m benchmarks.summarize)."""
