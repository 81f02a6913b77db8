"""Approvals: decide which commands the agent may run.

python examples/04_approvals/sync.py                       # with your Codex account
python examples/_offline.py examples/04_approvals/sync.py  # offline, scripted model

With no handler, every approval is declined (nothing runs without a yes). Here a reviewer
reads the typed request and lets read-only commands through. `approve_all` is the explicit
preset that says yes to every command, file change and permission request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, Codex, Decision, ServerRequestHandlers

if TYPE_CHECKING:
    from codex_app_server.generated.v2_all import CommandExecutionRequestApprovalParams
    from codex_app_server.testing import ScriptedModel

#: Parsed command actions that only look at things.
READ_ONLY = {"read", "listFiles", "search"}


def review(params: CommandExecutionRequestApprovalParams) -> Decision:
    """Accept a command when every action the server parsed out of it is read-only."""
    kinds = {action.type for action in params.command_actions or []}
    decision: Decision = "accept" if kinds and kinds <= READ_ONLY else "decline"
    print(f"[approval] {params.command} {sorted(kinds)} -> {decision}")
    return decision


def main(config: AppServerConfig | None = None) -> None:
    with Codex(config, handlers=ServerRequestHandlers(command_approval=review)) as codex:
        # The server asks its client only with an approval policy that asks ("untrusted":
        # every command that is not known to be safe; "on-request": when the model asks)
        # and with approvals routed to the user (us), not to an automatic reviewer.
        thread = codex.thread_start(approval_policy="untrusted", approvals_reviewer="user")
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
