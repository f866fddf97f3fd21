"""Benchmarks of the dashboard: `make bench` runs them through `bench/run.py`."""
