"""The protocol helpers of `AsyncCodex` and `AsyncThread` (the source of helpers_sync)."""
