"""Benchmark tooling for reader: archive generator, reference engines and query sets (no dependency on reader)."""
