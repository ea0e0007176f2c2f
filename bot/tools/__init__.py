"""Operator tools behind the CLI: the terminal chat and the benchmarks (imported lazily)."""
