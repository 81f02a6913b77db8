"""Scripted-model responders the tests share."""

from __future__ import annotations

from collections.abc import Callable

from codex_app_server.testing import RecordedRequest, Reply


def last_word_repeated(times: int, delay: float = 0.002) -> Callable[[RecordedRequest], Reply]:
    """A responder: the last word of the prompt, `times` times, one delta per word, so that
    concurrent turns can tell their streams apart."""

    def reply(request: RecordedRequest) -> Reply:
        word = (request.last_user_text or "?").split()[-1]
        return Reply.text(" ".join([word] * times), deltas=times, delay=delay)

    return reply
