"""What the fake app-server remembers: threads, turns, their scripts, pending replies."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from .wire import CLI_VERSION, DEFAULT_DELTAS, MODEL, MODEL_PROVIDER


class TurnScript:
    def __init__(self, text: str) -> None:
        self.silent = re.search(r"\bSILENT\b", text) is not None
        self.never_complete = re.search(r"\bNEVER_COMPLETE\b", text) is not None
        self.fail = re.search(r"\bFAIL\b", text) is not None
        self.approval = re.search(r"\bAPPROVAL\b", text) is not None
        self.crash = re.search(r"\bCRASH\b", text) is not None
        self.no_usage = re.search(r"\bNO_USAGE\b", text) is not None
        deltas = re.search(r"\bDELTAS:(\d+)", text)
        self.deltas = int(deltas.group(1)) if deltas else DEFAULT_DELTAS
        delay = re.search(r"\bDELAY_MS:(\d+)", text)
        self.delay_s = int(delay.group(1)) / 1000 if delay else 0.0


class Turn:
    def __init__(self, turn_id: str, thread: ThreadState, text: str) -> None:
        self.id = turn_id
        self.thread = thread
        self.text = text
        self.script = TurnScript(text)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.status = "inProgress"
        self.items: list[dict[str, Any]] = []
        self.error: dict[str, Any] | None = None

    def to_json(self, include_items: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "items": list(self.items) if include_items else [],
            "error": self.error,
        }


class ThreadState:
    def __init__(self, thread_id: str, cwd: str, ephemeral: bool) -> None:
        self.id = thread_id
        self.cwd = cwd
        self.ephemeral = ephemeral
        self.created_at = int(time.time())
        self.turns: list[Turn] = []

    def active_turn(self) -> Turn | None:
        for turn in reversed(self.turns):
            if not turn.done.is_set():
                return turn
        return None

    def to_json(self, include_turns: bool = False) -> dict[str, Any]:
        active = self.active_turn() is not None
        return {
            "id": self.id,
            "sessionId": self.id,
            "forkedFromId": None,
            "preview": self.turns[0].text if self.turns else "",
            "ephemeral": self.ephemeral,
            "projectId": None,
            "modelProvider": MODEL_PROVIDER,
            "model": MODEL,
            "createdAt": self.created_at,
            "updatedAt": int(time.time()),
            "status": {"type": "active", "activeFlags": []} if active else {"type": "idle"},
            "path": None,
            "cwd": self.cwd,
            "cliVersion": CLI_VERSION,
            "source": "appServer",
            "agentNickname": None,
            "agentRole": None,
            "gitInfo": None,
            "name": None,
            "turns": [t.to_json(include_items=True) for t in self.turns] if include_turns else [],
        }


class PendingReply:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: dict[str, Any] | None = None
