"""Readable defaults, gathered in one place.

Every timeout is in seconds. Each one can be overridden on `AppServerConfig`
(and, for requests, per call).
"""

from __future__ import annotations

#: Default time a JSON-RPC request may wait for its response after it was written.
DEFAULT_REQUEST_TIMEOUT: float = 120.0

#: Time `initialize` may take (spawning the runtime is included).
DEFAULT_STARTUP_TIMEOUT: float = 60.0

#: How long `close()` waits for each shutdown step (stdin close, SIGTERM, SIGKILL).
DEFAULT_SHUTDOWN_GRACE: float = 1.5

#: Longest line accepted from the app-server; a longer one fails the connection.
DEFAULT_MAX_LINE_BYTES: int = 64 * 1024 * 1024

#: Notifications kept on the global queue (those with no turn) before the oldest are dropped.
DEFAULT_GLOBAL_QUEUE_SIZE: int = 10_000

#: Estimated memory the client may hold for readers that lag (turn queues + global queue).
DEFAULT_BUFFER_BUDGET_BYTES: int = 64 * 1024 * 1024

#: Completed turns whose notifications were claimed but never read, kept for late readers.
DEFAULT_FINISHED_TURN_RETENTION: int = 256

#: Lines of the app-server's stderr kept for error messages.
STDERR_TAIL_LINES: int = 40

#: Longest stderr line kept whole; a longer one is kept in pieces of this size.
STDERR_LINE_LIMIT: int = 64 * 1024

#: Once the app-server's output ends, how long the reader waits for its exit status and
#: last stderr lines before failing every waiter (so death is reported well within 1 s).
EXIT_STATUS_WAIT: float = 0.5

#: A second `close()` (while another thread closes) waits for the first this long:
#: the three shutdown steps (3 x `shutdown_grace`) plus this slack for the reader to finish.
CLOSE_WAIT_SLACK: float = 2.0

#: Longest wait for the `turn/interrupt` a cancelled stream sends (also capped by the
#: request timeout): an interrupt is best effort and must never hold a caller long.
INTERRUPT_TIMEOUT_CAP: float = 10.0

#: Worker threads of the sync client that run server-request handlers (approvals, tools).
SERVER_REQUEST_WORKERS: int = 8

#: Bytes asked of the app-server's stdout per read by the blocking stdio transport.
READ_CHUNK_BYTES: int = 256 * 1024

#: The sync client's reader thread steps aside while a waiting thread reads for itself
#: (see `_sync/read_gate.py`); after this long with nobody reading it reads again, so that
#: server requests and notifications nobody waits for are routed at most this late.
READER_HANDBACK: float = 0.02

#: Bytes the async stdio reader takes per loop pass. After a full chunk (a backlog: a
#: thousand turns streaming at once) it lets the loop run before the next, so the turns it
#: woke and every other task run between two chunks and no pass holds the loop for long.
ASYNC_READ_CHUNK_BYTES: int = 64 * 1024

#: Time a server-request handler may take before the request is declined.
DEFAULT_SERVER_REQUEST_TIMEOUT: float = 600.0

#: Seconds a client keeps trying to re-establish a dropped remote connection.
DEFAULT_RECONNECT_TIMEOUT: float = 30.0

#: First and largest delay between reconnection attempts (exponential, jittered +-50%).
DEFAULT_RECONNECT_INITIAL_DELAY: float = 0.05
DEFAULT_RECONNECT_MAX_DELAY: float = 2.0

#: Client identity sent in `initialize`.
DEFAULT_CLIENT_NAME: str = "codex_app_server_python"
DEFAULT_CLIENT_TITLE: str = "Codex App Server Python SDK"

#: The JSON-RPC error code the app-server uses for "Server overloaded; retry later."
SERVER_OVERLOADED_CODE: int = -32001

#: Seconds an exiting process waits for the background model warm-up to finish (a daemon
#: thread inside a C extension during interpreter finalization can abort the process).
WARMUP_EXIT_WAIT: float = 5.0

#: Seconds a turn may make no progress at all (no notification, no server request waiting on
#: the client, no command or tool running) before it is interrupted with `TurnTimeoutError`.
#: Longer than the runtime's own stream idle timeout (300 s), so it only ends turns that
#: would otherwise wait forever (a model endpoint that stopped answering after its retries).
DEFAULT_TURN_INACTIVITY_TIMEOUT: float = 600.0
