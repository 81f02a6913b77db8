"""A TCP relay for tests: forwards loopback connections to a target, and can drop them all."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading


class Relay:
    """Listens on 127.0.0.1:<free port> and pipes each connection to `target` (host, port).

    `drop()` resets every live connection (the server side stays up); with `ssl_context`
    the relay terminates TLS (a `wss://` front for a plain `ws://` app-server).
    """

    def __init__(self, target: tuple[str, int], ssl_context: ssl.SSLContext | None = None):
        self.target = target
        self.ssl_context = ssl_context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self.refuse = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            if self.ssl_context is not None:
                client = self.ssl_context.wrap_socket(client, server_side=True)
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        with self._lock:
            self._conns += [client, upstream]
            self.accepted += 1
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        """Reset every live connection at once."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes the pipe threads blocked in recv()
            with contextlib.suppress(OSError):
                s.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.drop()
