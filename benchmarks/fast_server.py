"""A fake app-server that streams as fast as a pipe allows: for client-side profiling.

`python benchmarks/fast_server.py` speaks just enough JSON-RPC over stdio: it answers
`initialize`, `thread/start` and `turn/start`; a turn's text "bench text N ..." makes it
write the notifications of a turn of N deltas (the shapes the real app-server sends) in
one go. The server costs nearly nothing, so the client is the bottleneck: what the
micro-benchmark (`python -m benchmarks.micro`) measures is the client's own ceiling.
"""

from __future__ import annotations

import json
import os
import sys


def _line(message: object) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def turn_lines(thread_id: str, turn_id: str, deltas: int) -> bytes:
    item_id = f"msg_{turn_id}"
    turn: dict[str, object] = {"id": turn_id, "items": [], "status": "inProgress", "error": None}
    out = [
        _line({"method": "turn/started", "params": {"threadId": thread_id, "turn": turn}}),
        _line(
            {
                "method": "item/started",
                "params": {
                    "threadId": thread_id,
                    "turnId": turn_id,
                    "item": {"type": "agentMessage", "id": item_id, "text": "", "phase": None},
                },
            }
        ),
    ]
    delta = _line(
        {
            "method": "item/agentMessage/delta",
            "params": {
                "threadId": thread_id,
                "turnId": turn_id,
                "itemId": item_id,
                "delta": "tok ",
            },
        }
    )
    out.append(delta * deltas)
    out.append(
        _line(
            {
                "method": "item/completed",
                "params": {
                    "threadId": thread_id,
                    "turnId": turn_id,
                    "item": {
                        "type": "agentMessage",
                        "id": item_id,
                        "text": "tok " * deltas,
                        "phase": None,
                    },
                },
            }
        )
    )
    done = {**turn, "status": "completed"}
    out.append(_line({"method": "turn/completed", "params": {"threadId": thread_id, "turn": done}}))
    return b"".join(out)


def main() -> None:
    out = sys.stdout.buffer
    threads = turns = 0
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        message = json.loads(raw)
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            continue
        if method == "initialize":
            result: dict[str, object] = {
                "userAgent": "fast-server/0",
                "codexHome": "/tmp",
                "platformFamily": "unix",
                "platformOs": "linux",
            }
            out.write(_line({"id": request_id, "result": result}))
        elif method == "thread/start":
            threads += 1
            thread = {"id": f"thr_{threads}", "preview": "", "turns": []}
            out.write(_line({"id": request_id, "result": {"thread": thread}}))
        elif method == "turn/start":
            turns += 1
            params = message["params"]
            thread_id, turn_id = params["threadId"], f"turn_{turns}"
            words = params["input"][0]["text"].split()
            deltas = int(words[2]) if words[:2] == ["bench", "text"] else 1
            turn: dict[str, object] = {"id": turn_id, "items": [], "status": "inProgress"}
            out.write(_line({"id": request_id, "result": {"turn": turn}}))
            out.write(turn_lines(thread_id, turn_id, deltas))
        else:
            out.write(_line({"id": request_id, "result": {}}))
        out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
