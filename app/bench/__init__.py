"""Benchmark support: a deterministic synthetic population (`jifen bench populate`).

The benchmarks themselves are scripts under `bench/`, run by hand (see bench/README.md).
"""
