"""The `fake/*` control requests that inject faults (allowed even before `initialize`)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import threading
import time
from typing import Any

from .core import handles
from .protocol import ProtocolServer
from .wire import (
    FLOOD_BATCH,
    INVALID_PARAMS,
    NO_REPLY,
    OVERLOADED,
    RpcError,
    filler,
    hard_exit,
    write_stderr,
)


class FakeServer(ProtocolServer):
    """The fake app-server: the protocol methods, and the fake/* controls that tests drive it
    with (each marked `@handles(method)`)."""

    # -- fake/* controls -------------------------------------------------------

    @handles("fake/exit")
    def fake_exit(self, req_id: Any, params: dict[str, Any]) -> Any:
        code = int(params.get("code", 1))
        stderr = str(params.get("stderr", ""))
        delay_s = float(params.get("delayMs", 0)) / 1000

        def go() -> None:
            if delay_s:
                time.sleep(delay_s)
            write_stderr(stderr)
            self.out.acquire(timeout=1.0)  # don't cut another thread's line in half
            hard_exit(code)

        if delay_s:
            threading.Thread(target=go, daemon=True).start()
        else:
            go()
        return NO_REPLY

    @handles("fake/hang")
    def fake_hang(self, req_id: Any, params: dict[str, Any]) -> Any:
        return NO_REPLY

    @handles("fake/stall")
    def fake_stall(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.out.stall()
        return NO_REPLY

    @handles("fake/unstall")
    def fake_unstall(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.out.unstall_and_write(self.out.encode({"id": req_id, "result": {}}))
        return NO_REPLY

    @handles("fake/garbage")
    def fake_garbage(self, req_id: Any, params: dict[str, Any]) -> Any:
        lines = params.get("lines", [])
        if not isinstance(lines, list):
            raise RpcError(INVALID_PARAMS, "lines must be a list of strings")
        data = b"".join(str(line).encode("utf-8", "surrogatepass") + b"\n" for line in lines)
        data *= int(params.get("repeat", 1))
        raw = params.get("rawBase64")
        if raw:
            data += base64.b64decode(raw)
        self.out.write(data)
        return {}

    @handles("fake/notify")
    def fake_notify(self, req_id: Any, params: dict[str, Any]) -> Any:
        method = self.require_str(params, "method")
        count = int(params.get("count", 1))
        payload = params.get("params", {})
        for start in range(0, count, FLOOD_BATCH):
            batch = min(FLOOD_BATCH, count - start)
            self.out.send_many([self.notification(method, payload)] * batch)
        return {}

    @handles("fake/flood")
    def fake_flood(self, req_id: Any, params: dict[str, Any]) -> Any:
        count = int(params.get("count", 0))
        delta = {
            "threadId": params.get("threadId", ""),
            "turnId": params.get("turnId", ""),
            "itemId": params.get("itemId", "item_flood"),
            "delta": params.get("delta", "x"),
        }

        def work() -> Any:
            line = self.out.encode(self.notification("item/agentMessage/delta", delta))
            for start in range(0, count, FLOOD_BATCH):
                self.out.write(line * min(FLOOD_BATCH, count - start))
            return {"sent": count}

        return self.in_worker(req_id, work)

    @handles("fake/bigline")
    def fake_bigline(self, req_id: Any, params: dict[str, Any]) -> Any:
        size = int(params.get("bytes", 0))
        method = str(params.get("method", "fake/bigline"))
        base = params.get("params", {})
        field = str(params.get("field", "data"))
        payload = {**(base if isinstance(base, dict) else {}), field: ""}
        envelope = len(self.out.encode(self.notification(method, payload))) - 1
        payload[field] = "x" * max(0, size - envelope)
        line = self.out.encode(self.notification(method, payload))
        self.out.write(line)
        return {}

    @handles("fake/bigResponse")
    def fake_big_response(self, req_id: Any, params: dict[str, Any]) -> Any:
        size = int(params.get("bytes", 0))
        envelope = len(self.out.encode({"id": req_id, "result": {"data": ""}})) - 1
        self.reply(req_id, {"data": "x" * max(0, size - envelope)})
        return NO_REPLY

    @handles("fake/nullIdError")
    def fake_null_id_error(self, req_id: Any, params: dict[str, Any]) -> Any:
        code = int(params.get("code", -32700))
        message = str(params.get("message", "Parse error"))
        self.out.send({"id": None, "error": {"code": code, "message": message}})
        return NO_REPLY

    @handles("fake/serverRequest")
    def fake_server_request(self, req_id: Any, params: dict[str, Any]) -> Any:
        method = self.require_str(params, "method")
        _, pending, request = self.server_request(
            method, params.get("params", {}), params.get("id")
        )

        def work() -> Any:
            self.out.send(request)
            pending.event.wait()
            reply = pending.reply or {}
            return {"response": {k: v for k, v in reply.items() if k in ("result", "error")}}

        return self.in_worker(req_id, work)

    @handles("fake/sigstop")
    def fake_sigstop(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.reply(req_id, {})
        os.kill(os.getpid(), signal.SIGSTOP)
        return NO_REPLY

    @handles("fake/spawnChild")
    def fake_spawn_child(self, req_id: Any, params: dict[str, Any]) -> Any:
        seconds = str(params.get("seconds", 300))
        inherit = bool(params.get("inheritStdio", False))
        stdio = None if inherit else subprocess.DEVNULL
        child = subprocess.Popen(["sleep", seconds], stdin=stdio, stdout=stdio, stderr=stdio)
        self.children.append(child)
        return {"pid": child.pid}

    @handles("fake/echo")
    def fake_echo(self, req_id: Any, params: Any) -> Any:
        return params

    @handles("fake/error")
    def fake_error(self, req_id: Any, params: dict[str, Any]) -> Any:
        code = int(params.get("code", -32000))
        raise RpcError(code, str(params.get("message", "fake error")), params.get("data"))

    @handles("fake/delay")
    def fake_delay(self, req_id: Any, params: dict[str, Any]) -> Any:
        delay_s = float(params.get("ms", 0)) / 1000
        result = params.get("result", {})

        def work() -> Any:
            time.sleep(delay_s)
            return result

        return self.in_worker(req_id, work)

    @handles("fake/rejectNext")
    def fake_reject_next(self, req_id: Any, params: dict[str, Any]) -> Any:
        with self.lock:
            self.reject_next = (
                int(params.get("count", 1)),
                int(params.get("code", OVERLOADED)),
                str(params.get("message", "Server overloaded; retry later.")),
            )
        return {}

    @handles("fake/stderr")
    def fake_stderr(self, req_id: Any, params: dict[str, Any]) -> Any:
        write_stderr(str(params.get("text", "")))
        write_stderr(filler(int(params.get("bytes", 0))))
        return {}

    @handles("fake/closeStdout")
    def fake_close_stdout(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.reply(req_id, {})
        self.out.close()
        return NO_REPLY

    @handles("fake/received")
    def fake_received(self, req_id: Any, params: dict[str, Any]) -> Any:
        method = params.get("method")
        with self.lock:
            messages = [m for m in self.received if method is None or m.get("method") == method]
        return {"messages": messages}

    @handles("fake/state")
    def fake_state(self, req_id: Any, params: dict[str, Any]) -> Any:
        with self.lock:
            active = [t.id for t in self.turns.values() if not t.done.is_set()]
            pending = list(self.pending)
            threads = list(self.threads)
        return {
            "pid": os.getpid(),
            "pgid": os.getpgid(0),
            "scenarios": sorted(self.scenarios),
            "initialized": self.initialized,
            "clientInitialized": self.client_initialized,
            "threads": threads,
            "activeTurns": active,
            "pendingServerRequests": pending,
        }
