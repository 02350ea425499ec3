"""Benchmarks, run on demand (`make bench`, `make bench-app`), never as timed tests."""
