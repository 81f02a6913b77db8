"""A scripted model that answers from the prompt (the batch and pool tests share it)."""

from __future__ import annotations

import threading

import pytest

from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel


def answer_for(prompt: str) -> str:
    """The answer the scripted model gives to `prompt`: derived from it, so that a result
    carrying another task's answer is caught."""
    return f"answer<{prompt}>"


class Echo:
    """A responder: answers `answer_for(prompt)`, fails prompts containing "FAIL", and can
    delay its replies. Counts the requests per prompt."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        prompt = request.last_user_text or ""
        with self._lock:
            self.seen[prompt] = self.seen.get(prompt, 0) + 1
        if "FAIL" in prompt:
            return Reply.error(500, message="scripted failure")
        return Reply.text(answer_for(prompt), deltas=2, delay=self.delay / 2)


@pytest.fixture
def echo(scripted_model: ScriptedModel) -> Echo:
    responder = Echo()
    scripted_model.respond_with(responder)
    return responder
