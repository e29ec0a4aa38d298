"""Benchmark harness: the project's validate + flatten against the original approach (see bench/README.md)."""
