"""Benchmarks that print a table (`make bench`); not part of the test run."""
