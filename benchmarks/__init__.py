"""Side-by-side performance benchmarks: `python -m benchmarks --help` (see docs/benchmarks.md).

Not part of the test suite. Nothing here is imported by the SDK.
"""
