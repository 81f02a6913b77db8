"""Transports: newline-delimited JSON messages in and out of an app-server (stdio today,
the in-memory mock for tests). They know nothing of JSON-RPC."""
