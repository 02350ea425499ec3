"""Benchmarks, run on demand (`make bench`, `make bench-app`); they print figures, they do not assert."""
