"""Render a streamed `Reply` as the Server-Sent-Events frames of the Responses API.

The renderer yields encoded frames and `_Pause` markers (a `delay` between deltas); the
HTTP side batches frames into large writes and flushes before every pause, so delayed
deltas reach the client one by one and undelayed ones at full speed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ._offline_home import DEFAULT_MODEL
from ._replies import Reply, Usage, UsageSpec, _FunctionCall, _Item, _Message, _Reasoning
from ._requests import RecordedRequest

__all__ = ["sse_frame"]


def sse_frame(data: Mapping[str, Any] | str) -> bytes:
    """One Server-Sent-Events frame: `event: <type>` (for a mapping) and `data: <JSON>`."""
    if isinstance(data, str):
        return b"data: " + data.encode() + b"\n\n"
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    kind = data.get("type")
    head = f"event: {kind}\n" if isinstance(kind, str) and "\n" not in kind else ""
    return f"{head}data: {payload}\n\n".encode()


class _Pause:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _render_stream(
    reply: Reply, request: RecordedRequest, new_id: Callable[[str], str]
) -> Iterator[bytes | _Pause]:
    """The SSE frames of a streamed reply, as the Responses API orders them."""
    base = {
        "id": new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "model": request.model or DEFAULT_MODEL,
    }
    created = {**base, "status": "in_progress", "output": []}
    yield sse_frame({"type": "response.created", "response": created})
    pause = _Pause(reply.delay) if reply.delay > 0 else None
    first_delta = True
    output: list[dict[str, Any]] = []
    for index, item in enumerate(reply.items):
        added: dict[str, Any]
        done: dict[str, Any]
        if isinstance(item, _FunctionCall):
            payload = "input" if item.custom else "arguments"
            call = {
                "type": "custom_tool_call" if item.custom else "function_call",
                "id": new_id("ctc" if item.custom else "fc"),
                "call_id": item.call_id or new_id("call"),
                "name": item.name,
                payload: item.arguments,
            }
            if item.namespace is not None:
                call["namespace"] = item.namespace
            added = {**call, payload: "", "status": "in_progress"}
            yield sse_frame(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            done = {**call, "status": "completed"}
        else:
            if isinstance(item, _Message):
                item_id = new_id("msg")
                added = {
                    "type": "message",
                    "id": item_id,
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                }
                part_kind, part_key, text_kind = "content_part", "content_index", "output_text"
                part: dict[str, Any] = {"type": "output_text", "text": "", "annotations": []}
            else:
                item_id = new_id("rs")
                added = {"type": "reasoning", "id": item_id, "summary": []}
                part_kind, part_key = "reasoning_summary_part", "summary_index"
                text_kind = "reasoning_summary_text"
                part = {"type": "summary_text", "text": ""}
            where = {"item_id": item_id, "output_index": index, part_key: 0}
            yield sse_frame(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            yield sse_frame({"type": f"response.{part_kind}.added", **where, "part": part})
            # The hot path: one template, one json.dumps per delta.
            prefix = (
                f"event: response.{text_kind}.delta\n"
                f'data: {{"type":"response.{text_kind}.delta","item_id":"{item_id}",'
                f'"output_index":{index},"{part_key}":0,"delta":'
            )
            for delta in item.deltas:
                if pause is not None and not first_delta:
                    yield pause
                first_delta = False
                yield (prefix + json.dumps(delta, ensure_ascii=False) + "}\n\n").encode()
            final_part = {**part, "text": item.text}
            yield sse_frame({"type": f"response.{text_kind}.done", **where, "text": item.text})
            yield sse_frame({"type": f"response.{part_kind}.done", **where, "part": final_part})
            if isinstance(item, _Message):
                done = {**added, "status": "completed", "content": [final_part]}
            else:
                done = {**added, "summary": [final_part], "encrypted_content": None}
        output.append(done)
        yield sse_frame({"type": "response.output_item.done", "output_index": index, "item": done})
    completed: dict[str, Any] = {**base, "status": "completed", "output": output}
    usage = _usage_dict(reply.usage, request, reply.items)
    if usage is not None:
        completed["usage"] = usage
    yield sse_frame({"type": "response.completed", "response": completed})


def _usage_dict(
    usage: UsageSpec, request: RecordedRequest, items: Sequence[_Item]
) -> dict[str, Any] | None:
    if usage is None or usage is False:
        return None
    if isinstance(usage, Usage):
        return usage.to_dict()
    if isinstance(usage, Mapping):
        return dict(usage)
    # Plausible numbers: about four characters per token.
    output_chars = reasoning_chars = 0
    for item in items:
        if isinstance(item, _Reasoning):
            reasoning_chars += len(item.text)
        else:
            output_chars += len(item.text if isinstance(item, _Message) else item.arguments)
    reasoning = -(-reasoning_chars // 4)
    return Usage(
        input_tokens=max(1, len(request.raw_body) // 4),
        output_tokens=max(1, -(-output_chars // 4)) + reasoning,
        reasoning_output_tokens=reasoning,
    ).to_dict()
