"""`make bench`: the performance benchmark (see BENCHMARKS.md)."""
