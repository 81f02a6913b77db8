"""The asyncio driver: `AsyncAppServerClient` (one reader task, futures per request) and
the high-level `AsyncCodex` API with its feature handles."""
