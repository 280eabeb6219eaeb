"""Benchmarks: `python -m benchmarks [NAME ...]` runs them (all when no name) and writes
benchmarks/results/NAME.json, a flat JSON object of named figures."""
