"""Benchmarks of repatriation-kg: a synthetic data generator and an HTTP benchmark against peer servers."""
