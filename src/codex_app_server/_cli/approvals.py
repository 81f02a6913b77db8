"""Answering the agent's approval requests at the terminal, through the SDK's own handlers.

The CLI decides (ask, approve all, deny all) and says so on stderr; the SDK's
`ServerRequestHandlers` turn the decision into the method's reply (`"decline"` is
`{"decision": "decline"}` for a v2 approval and `{"decision": {"denied": ...}}` for a legacy
one), validate it against the generated response model and send it. Every other request
(questions, permission escalations, elicitations, client tools) gets the SDK's safe default.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from .._protocol.handlers import Decision, HandlerRegistry, ServerRequestHandlers
from .._protocol.models import to_wire
from .._protocol.server_requests import LEGACY_EXEC_APPROVAL, LEGACY_PATCH_APPROVAL, error_reply
from .items import command_text
from .style import Console

if TYPE_CHECKING:
    from .._protocol.notifications import ServerRequest
    from .._sync.client import AppServerClient

#: What the user may type -> the decision.
ANSWERS: dict[str, Decision] = {
    "y": "accept",
    "yes": "accept",
    "a": "acceptForSession",
    "always": "acceptForSession",
    "n": "decline",
    "no": "decline",
    "": "decline",
    "c": "cancel",
    "cancel": "cancel",
}
#: `--approve` mode -> the decision given without asking.
_FIXED: dict[str, Decision] = {"all": "accept", "deny": "decline"}
_VERDICTS: dict[str, str] = {
    "accept": "approved",
    "acceptForSession": "approved for the session",
    "decline": "declined",
    "cancel": "declined; turn cancelled",
}


class Approver:
    """Answers approvals by `mode`: `ask` prompts on the terminal (`stdin`; end of input
    declines), `all` accepts every command and file change, `deny` declines them.

    `handlers` is the `ServerRequestHandlers` that does it; `install(client)` puts it on a
    client (in `json_mode` also an echo of every server request and its reply on stdout).
    """

    def __init__(
        self,
        mode: str,
        console: Console,
        *,
        json_mode: bool = False,
        stdin: TextIO | None = None,
    ) -> None:
        self.mode = mode
        self.console = console
        self.json_mode = json_mode
        self.stdin = stdin if stdin is not None else sys.stdin
        self.handlers = ServerRequestHandlers(
            command_approval=self._command,
            file_change_approval=self._file_change,
            by_method={
                LEGACY_EXEC_APPROVAL: self._command,
                LEGACY_PATCH_APPROVAL: self._file_change,
            },
        )

    def install(self, client: AppServerClient) -> None:
        """Answer `client`'s server requests with these handlers (its tools are kept)."""
        client.handlers.set_client(self.handlers, client.handlers.tools.values())
        if self.json_mode:
            client.server_request_handler = self.echo(client.handlers)

    def echo(self, registry: HandlerRegistry) -> Callable[[ServerRequest], Any]:
        """A low-level handler that answers through `registry` and prints each request and
        its reply (or error) as JSON lines."""
        from .._sync.handlers import answer

        def handler(request: ServerRequest) -> Any:
            with self.console.lock:
                self.console.json_line(
                    {"id": request.id, "method": request.method, "params": request.params}
                )
                try:
                    reply = answer(registry, request, None)
                except Exception as exc:
                    self.console.json_line(error_reply(request.id, exc))
                    raise
                self.console.json_line({"id": request.id, "result": reply})
                return reply

        return handler

    def answer(self, request: ServerRequest) -> dict[str, Any]:
        """The reply the SDK sends for `request` with these handlers (raises for an error
        reply): what `install` does, for one request, in this thread."""
        from .._sync.handlers import answer

        return answer(HandlerRegistry(self.handlers), request, None)

    # -- the handlers (typed params in, a decision out)

    def _command(self, params: Any) -> Decision:
        wire = to_wire(params)
        what = f"run `{command_text(wire)}`"
        if wire.get("cwd"):
            what += f" in {wire['cwd']}"
        return self._decide(what, wire.get("reason"))

    def _file_change(self, params: Any) -> Decision:
        return self._decide("apply file changes", to_wire(params).get("reason"))

    def _decide(self, what: str, reason: Any) -> Decision:
        if reason:
            what += f" ({reason})"
        with self.console.lock:
            answer = _FIXED.get(self.mode) or self._ask(what)
            if not self.json_mode or self.mode == "ask":
                style = "green" if answer.startswith("accept") else "yellow"
                self.console.tagged("approval", f"{_VERDICTS[answer]}: {what}", style)
        return answer

    def _ask(self, what: str) -> Decision:
        c = self.console
        c.end_line()
        prompt = c.err_style("yellow bold", "[approval]")
        question = f"{prompt} Allow the agent to {what}? [y]es / [a]lways / [N]o / [c]ancel: "
        while True:
            c.err.write(question)
            c.err.flush()
            reply = self.stdin.readline()
            if not reply:  # end of input
                c.err.write("\n")
                return "decline"
            answer = ANSWERS.get(reply.strip().lower())
            if answer is not None:
                return answer
