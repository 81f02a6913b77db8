"""The sans-IO core: JSON-RPC routing, message shapes, params, errors and server-request
planning. Nothing here reads, writes, sleeps, spawns or picks a concurrency model; the
drivers (`_sync`, `_async`) feed it bytes and carry out what it decides."""
