# Generated from async.py by scripts/unasync.py: do not edit.
"""Approvals: a reviewer, per-thread handlers, and the safe default.

python examples/04_approvals/sync.py                       # with your Codex account
python examples/_offline.py examples/04_approvals/sync.py  # offline, scripted model

With no handler, every approval is declined (nothing runs without a yes). Here a client-wide
reviewer reads the typed request and lets read-only commands through. A thread's own
handlers come first; one that returns None leaves the decision to the client-wide handlers,
then to the safe default (decline). `approve_all` is the explicit preset that says yes to
every command, file change and permission request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, Codex, Decision, ServerRequestHandlers

if TYPE_CHECKING:
    from codex_app_server.generated.v2_all import CommandExecutionRequestApprovalParams
    from codex_app_server.testing import ScriptedModel

#: Parsed command actions that only look at things.
READ_ONLY = {"read", "listFiles", "search"}


def review(params: CommandExecutionRequestApprovalParams) -> Decision | None:
    """Client-wide: accept read-only commands; no opinion on the rest (-> declined)."""
    # A real reviewer may ask a UI, a policy service or a human here.
    kinds = {action.type for action in params.command_actions or []}
    if kinds and kinds <= READ_ONLY:
        print(f"[client-wide] accept {params.command} {sorted(kinds)}")
        return "accept"
    print(f"[client-wide] no opinion on {params.command} {sorted(kinds)}")
    return None


def audit(params: CommandExecutionRequestApprovalParams) -> None:
    """Per thread: log every request and pass it on."""
    print(f"[audit] thread asks to run {params.command}")


def main(config: AppServerConfig | None = None) -> None:
    handlers = ServerRequestHandlers(command_approval=review)
    with Codex(config, handlers=handlers) as codex:
        # The server asks its client only with an approval policy that asks ("untrusted":
        # every command that is not known to be safe; "on-request": when the model asks)
        # and with approvals routed to the user (us), not to an automatic reviewer.
        thread = codex.thread_start(
            approval_policy="untrusted",
            approvals_reviewer="user",
            handlers=ServerRequestHandlers(command_approval=audit),
        )
        result = thread.run("List the files here, then delete the build directory.")
        for item in result.items:
            if item.type == "commandExecution":
                print(f"[command] {item.command} -> {item.status.value}")
        print("answer:", result.final_response)


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(
        Reply.shell("ls -a", call_id="list"),
        Reply.shell("rm -rf build", call_id="delete"),
        Reply.text("The directory is listed; deleting build/ was declined, so it is still there."),
    )


if __name__ == "__main__":
    main()
