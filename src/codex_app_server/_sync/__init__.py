"""The blocking driver: `AppServerClient` (one reader thread, a worker pool for handlers)
and the high-level `Codex` API."""
