"""`AsyncCodex`'s `command/exec` methods (`CommandMethods`). The handles and the shell
command they start live in `command_process.py` (with `_protocol/commands.py`), loaded on
the first command: a cold import of `AsyncCodex` does not pay for them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .methods import ClientMethods, fspath

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from ..generated.v2_all import CommandExecResponse
    from .command_process import AsyncCommandProcess


class CommandMethods(ClientMethods):
    """`AsyncCodex`'s `command/exec` methods."""

    async def command_exec(
        self,
        command: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout_ms: int | None = None,
        sandbox_policy: Any = None,
        permission_profile: str | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool | None = None,
        disable_timeout: bool | None = None,
    ) -> CommandExecResponse:
        """Run a command (an argv list) in the server's sandbox, without a thread; wait for
        it and return its exit code and captured output.

        `env` entries are merged over the server's environment (None unsets one);
        `timeout_ms` bounds the command (default: the server's).
        """
        from .._protocol.commands import command_params

        params = command_params(
            command,
            cwd=fspath(cwd),
            env=dict(env) if env is not None else None,
            timeout_ms=timeout_ms,
            sandbox_policy=sandbox_policy,
            permission_profile=permission_profile,
            output_bytes_cap=output_bytes_cap,
            disable_output_cap=disable_output_cap,
            disable_timeout=disable_timeout,
        )
        client = await self._started_client()
        return await client.command_exec(params, timeout=math.inf)

    async def command_start(
        self,
        command: Sequence[str],
        *,
        stdin: bool = False,
        tty: bool = False,
        size: tuple[int, int] | None = None,
        process_id: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout_ms: int | None = None,
        sandbox_policy: Any = None,
        permission_profile: str | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool | None = None,
        disable_timeout: bool | None = None,
    ) -> AsyncCommandProcess:
        """Start a command whose output streams back: iterate the handle (`async for`) for
        `CommandOutput` chunks, `wait()` for the exit code.

        `stdin=True` lets you `write()` to it; `tty=True` runs it in a PTY of `size`
        (rows, cols). Other arguments as for `command_exec`.
        """
        from .._protocol.commands import command_params, new_process_id
        from .command_process import start_command

        params = command_params(
            command,
            process_id=process_id or new_process_id(),
            stream=True,
            stdin=stdin,
            tty=tty,
            size=size,
            cwd=fspath(cwd),
            env=dict(env) if env is not None else None,
            timeout_ms=timeout_ms,
            sandbox_policy=sandbox_policy,
            permission_profile=permission_profile,
            output_bytes_cap=output_bytes_cap,
            disable_output_cap=disable_output_cap,
            disable_timeout=disable_timeout,
        )
        client = await self._started_client()
        return await start_command(client, params)
