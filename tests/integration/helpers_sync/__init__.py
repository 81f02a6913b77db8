"""The protocol helpers of `Codex` and `Thread` (mostly generated from helpers_async)."""
