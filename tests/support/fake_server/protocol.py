"""The protocol methods the fake app-server implements, and how it runs a turn."""

from __future__ import annotations

import os
import threading
from typing import Any

from .core import ServerCore, handles
from .state import ThreadState, Turn
from .wire import (
    APPROVAL_COMMAND,
    CRASH_CODE,
    CRASH_STDERR,
    EXIT_ON_INITIALIZE_CODE,
    EXIT_ON_INITIALIZE_STDERR,
    FAIL_MESSAGE,
    INITIALIZE_RESULT,
    INTERNAL_ERROR,
    INVALID_REQUEST,
    MODEL,
    MODEL_PROVIDER,
    NO_REPLY,
    RpcError,
    first_text,
    hard_exit,
    now_ms,
    split_text,
    usage_breakdown,
    write_stderr,
)


class ProtocolServer(ServerCore):
    """The app-server protocol methods the SDK uses, each marked `@handles(method)`."""

    # -- protocol methods ------------------------------------------------------

    @handles("initialize")
    def on_initialize(self, req_id: Any, params: dict[str, Any]) -> Any:
        if "exit-on-initialize" in self.scenarios:
            write_stderr(EXIT_ON_INITIALIZE_STDERR)
            hard_exit(EXIT_ON_INITIALIZE_CODE)
        if "never-answer-initialize" in self.scenarios:
            return NO_REPLY
        if "error-on-initialize" in self.scenarios:
            raise RpcError(INTERNAL_ERROR, "fake initialize failure")
        if "initialize-no-metadata" in self.scenarios:
            return {}
        if "initialize-non-object" in self.scenarios:
            return "ok"
        if self.initialized:
            raise RpcError(INVALID_REQUEST, "Already initialized")
        self.initialized = True
        if "initialize-not-object" in self.scenarios:
            return "initialized, but not an object"
        return dict(INITIALIZE_RESULT)

    def thread_response(self, thread: ThreadState, params: dict[str, Any]) -> dict[str, Any]:
        include_turns = not params.get("excludeTurns", False)
        return {
            "thread": thread.to_json(include_turns=include_turns),
            "model": MODEL,
            "modelProvider": MODEL_PROVIDER,
            "serviceTier": None,
            "cwd": thread.cwd,
            "instructionSources": [],
            "disabledPluginIds": [],
            "approvalPolicy": params.get("approvalPolicy") or "on-request",
            "approvalsReviewer": "user",
            "sandbox": {"type": "readOnly", "networkAccess": False},
            "reasoningEffort": None,
        }

    @handles("thread/start")
    def on_thread_start(self, req_id: Any, params: dict[str, Any]) -> Any:
        cwd = params.get("cwd") or os.getcwd()
        thread_id = self.new_id("thr")
        while thread_id in self.threads:  # an adopted (resumed) id may collide
            thread_id = self.new_id("thr")
        thread = ThreadState(thread_id, str(cwd), bool(params.get("ephemeral")))
        with self.lock:
            self.threads[thread.id] = thread
        self.reply(req_id, self.thread_response(thread, params))
        self.notify("thread/started", {"thread": thread.to_json()})
        return NO_REPLY

    @handles("thread/resume")
    def on_thread_resume(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread_id = self.require_str(params, "threadId")
        with self.lock:
            thread = self.threads.get(thread_id)
            if thread is None:
                cwd = params.get("cwd") or os.getcwd()
                thread = self.threads[thread_id] = ThreadState(thread_id, str(cwd), False)
        return self.thread_response(thread, params)

    @handles("thread/read")
    def on_thread_read(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread = self.require_thread(params)
        return {"thread": thread.to_json(include_turns=bool(params.get("includeTurns")))}

    @handles("turn/start")
    def on_turn_start(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread = self.require_thread(params)
        turn = Turn(self.new_id("turn"), thread, first_text(params.get("input")))
        with self.lock:
            self.turns[turn.id] = turn
            thread.turns.append(turn)
        early = "early-turn-events" in self.scenarios
        if early:
            self.emit(turn, "turn/started", {"threadId": thread.id, "turn": turn.to_json()})
        self.reply(req_id, {"turn": turn.to_json()})
        threading.Thread(target=self.run_turn, args=(turn, not early), daemon=True).start()
        return NO_REPLY

    @handles("turn/interrupt")
    def on_turn_interrupt(self, req_id: Any, params: dict[str, Any]) -> Any:
        turn = self.require_turn(params)
        if not self.finish_turn(turn, "interrupted", before={"id": req_id, "result": {}}):
            self.reply(req_id, {})
        return NO_REPLY

    @handles("turn/steer")
    def on_turn_steer(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread = self.require_thread(params)
        active = thread.active_turn()
        if active is None:
            raise RpcError(INVALID_REQUEST, "no active turn to steer")
        expected = params.get("expectedTurnId")
        if expected is not None and expected != active.id:
            raise RpcError(INVALID_REQUEST, f"expected turn {expected} is not active")
        return {"turnId": active.id}

    # -- turns -----------------------------------------------------------------

    def emit(self, turn: Turn, method: str, params: dict[str, Any]) -> bool:
        """Emit a notification for a turn unless the turn has already finished."""
        with turn.lock:
            if turn.done.is_set():
                return False
            self.notify(method, params)
            return True

    def finish_turn(
        self,
        turn: Turn,
        status: str,
        error: dict[str, Any] | None = None,
        before: dict[str, Any] | None = None,
    ) -> bool:
        """Complete the turn once; `before` (a response) is written just ahead."""
        with turn.lock:
            if turn.done.is_set():
                return False
            turn.status = status
            turn.error = error
            turn.done.set()
            messages = [] if before is None else [before]
            messages.append(
                self.notification(
                    "turn/completed", {"threadId": turn.thread.id, "turn": turn.to_json()}
                )
            )
            self.out.send_many(messages)
            return True

    def run_turn(self, turn: Turn, announce: bool) -> None:
        script, thread_id = turn.script, turn.thread.id
        ids = {"threadId": thread_id, "turnId": turn.id}
        if announce:
            self.emit(turn, "turn/started", {"threadId": thread_id, "turn": turn.to_json()})
        if script.silent:
            return
        if script.fail:
            error = {"message": FAIL_MESSAGE, "codexErrorInfo": None, "additionalDetails": None}
            self.emit(turn, "error", {"error": error, **ids, "willRetry": False})
            self.finish_turn(turn, "failed", error=error)
            return
        text = turn.text
        if script.approval:
            decision = self.ask_approval(turn)
            if decision is None:
                return
            text = decision
        chunks = split_text(text, script.deltas)
        text = "".join(chunks) if chunks else text
        item_id = self.new_id("item")
        started = {"type": "agentMessage", "id": item_id, "text": ""}
        if not self.emit(turn, "item/started", {**ids, "item": started, "startedAtMs": now_ms()}):
            return
        for index, chunk in enumerate(chunks):
            if script.delay_s and turn.done.wait(script.delay_s):
                return
            delta = {**ids, "itemId": item_id, "delta": chunk}
            if not self.emit(turn, "item/agentMessage/delta", delta):
                return
            if script.crash and index == 0:
                write_stderr(CRASH_STDERR)
                hard_exit(CRASH_CODE)
        item = {"type": "agentMessage", "id": item_id, "text": text}
        if not self.emit(turn, "item/completed", {**ids, "item": item, "completedAtMs": now_ms()}):
            return
        turn.items.append(item)
        if not script.no_usage:
            tokens = max(1, len(text) // 4)
            usage = {
                "total": usage_breakdown(tokens),
                "last": usage_breakdown(tokens),
                "modelContextWindow": 200000,
            }
            self.emit(turn, "thread/tokenUsage/updated", {**ids, "tokenUsage": usage})
        if not script.never_complete:
            self.finish_turn(turn, "completed")

    def ask_approval(self, turn: Turn) -> str | None:
        params = {
            "threadId": turn.thread.id,
            "turnId": turn.id,
            "itemId": self.new_id("item"),
            "approvalId": None,
            "command": APPROVAL_COMMAND,
            "cwd": turn.thread.cwd,
            "reason": "fake approval request",
            "startedAtMs": now_ms(),
            "availableDecisions": ["accept", "acceptForSession", "decline", "cancel"],
        }
        req_id, pending, request = self.server_request(
            "item/commandExecution/requestApproval", params
        )
        with turn.lock:
            if turn.done.is_set():
                return None
            self.out.send(request)
        while not pending.event.wait(0.05):
            if turn.done.is_set():
                return None
        self.emit(turn, "serverRequest/resolved", {"threadId": turn.thread.id, "requestId": req_id})
        reply = pending.reply or {}
        result = reply.get("result")
        decision = result.get("decision") if isinstance(result, dict) else None
        approved = decision in ("accept", "acceptForSession") or (
            isinstance(decision, dict) and any(str(k).startswith("accept") for k in decision)
        )
        return "approved" if approved else "declined"
