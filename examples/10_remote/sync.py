"""Remote app-servers: one listening server, several clients, connect instead of spawn.

`start_listening_server()` starts `codex app-server --listen ws://127.0.0.1:0` with a fresh
capability token (in a 0600 file) and waits until it is ready. A client with
`AppServerConfig(url=..., auth_token=...)` connects to it instead of spawning its own;
closing the client leaves the server running, so another client can resume the thread.
For a server elsewhere, see docs/remote.md (a token, and TLS in front: wss://).

    python examples/10_remote/sync.py                       # with your account
    python examples/10_remote/sync.py ws://HOST:PORT TOKEN_FILE   # an existing server
    python examples/_offline.py examples/10_remote/sync.py  # offline
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, Codex, ConnectionResumed, start_listening_server

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


def talk(client_config: AppServerConfig) -> None:
    """Two clients, one after the other, on one server: the thread outlives the first."""
    with Codex(client_config) as first:
        thread = first.thread_start()
        print("first client: ", thread.run("Remember the number 42.").final_response)
        thread_id = thread.id
    with Codex(client_config) as second:  # the server kept running
        resumed = second.thread_resume(thread_id)
        handle = resumed.turn("Which number did I ask you to remember?")
        for note in handle.stream():
            if isinstance(note, ConnectionResumed):  # only after a dropped connection
                print(f"[reconnected after {note.gap.gap_seconds:.2f}s]")
        print("second client:", handle.collector.final_response())


def main(config: AppServerConfig | None = None) -> None:
    if len(sys.argv) == 3 and config is None:  # an app-server that is already listening
        talk(AppServerConfig(url=sys.argv[1], auth_token_file=sys.argv[2]))
        return
    with start_listening_server(config) as server:
        print("listening on", server.url)
        talk(server.client_config())


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(Reply.text("Noted: 42."), Reply.text("You asked me to remember 42.", deltas=4))


if __name__ == "__main__":
    main()
