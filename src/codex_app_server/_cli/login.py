"""`codex-py login` / `logout`: sign in through the SDK's own login helpers.

::

    codex-py login                 an API key: $OPENAI_API_KEY, else read from stdin
                                   (prompted for, unechoed, on a terminal)
    codex-py login --device-code   a ChatGPT account: shows a URL and a code to enter there
    codex-py login --browser       a ChatGPT account: opens a URL; the runtime listens for
                                   the browser's callback on localhost
    codex-py login --status        who is logged in
    codex-py logout

The credentials are stored by the app-server in CODEX_HOME (`auth.json`), where every
later `codex-py run` (or `Codex()`) with that home finds them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

from .._protocol.errors import LoginError, LoginTimeoutError
from .codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, PROG
from .commands import make_config
from .style import Console

if TYPE_CHECKING:
    from .._sync.account import LoginHandle
    from .._sync.codex import Codex

#: How long a ChatGPT login waits for the user, by default (seconds).
DEFAULT_LOGIN_TIMEOUT = 600.0


def cmd_login(args: argparse.Namespace, console: Console) -> int:
    """Log in with an API key (default), a device code, or a browser; or show `--status`."""
    from .._sync.codex import Codex

    with Codex(make_config(args)) as codex:
        if args.status:
            return _status(codex, console)
        if args.device_code or args.browser:
            return _chatgpt(codex, console, device_code=args.device_code, timeout=args.timeout)
        key = _api_key(args, console)
        if not key:
            console.tagged(
                "error",
                "no API key: set OPENAI_API_KEY or pipe the key on stdin "
                f"(`... | {PROG} login --with-api-key`)",
                "red",
            )
            return EXIT_FAILED
        codex.login_api_key(key)
        console.tagged("login", f"logged in with an API key ({_home(codex)})", "green")
        return EXIT_OK


def cmd_logout(args: argparse.Namespace, console: Console) -> int:
    """Forget the stored credentials of CODEX_HOME."""
    from .._sync.codex import Codex

    with Codex(make_config(args)) as codex:
        codex.logout()
        console.tagged("logout", f"logged out ({_home(codex)})", "green")
    return EXIT_OK


def _api_key(args: argparse.Namespace, console: Console) -> str:
    """The key from stdin (`--with-api-key`, or no OPENAI_API_KEY), else the environment."""
    stdin = sys.stdin
    if not args.with_api_key:
        from_env = os.environ.get("OPENAI_API_KEY", "").strip()
        if from_env:
            return from_env
    isatty = getattr(stdin, "isatty", None)
    if isatty is not None and isatty():
        return getpass.getpass("OpenAI API key: ", stream=console.err).strip()
    return stdin.readline().strip()


def _chatgpt(codex: Codex, console: Console, *, device_code: bool, timeout: float) -> int:
    handle: LoginHandle = codex.login_device_code() if device_code else codex.login_chatgpt()
    if device_code:
        console.tagged("login", f"open {handle.verification_url}", "bold")
        console.tagged("login", f"and enter the code {handle.user_code}", "bold")
    else:
        console.tagged("login", f"open this URL in a browser on this machine: {handle.auth_url}")
    console.tagged("login", f"waiting up to {timeout:g} s (Ctrl-C cancels)", "dim")
    try:
        handle.wait(timeout=timeout)
    except KeyboardInterrupt:
        _cancel(handle)
        console.end_line()
        console.tagged("login", "cancelled", "yellow")
        return EXIT_INTERRUPTED
    except LoginTimeoutError as exc:
        _cancel(handle)
        console.tagged("error", f"{exc}; cancelled it", "red")
        return EXIT_FAILED
    except LoginError as exc:
        console.tagged("error", str(exc), "red")
        return EXIT_FAILED
    console.tagged("login", f"logged in with ChatGPT ({_home(codex)})", "green")
    return EXIT_OK


def _cancel(handle: LoginHandle) -> None:
    try:
        handle.cancel()
    except Exception:  # already over, or the server is going away: nothing to cancel
        return


def _status(codex: Codex, console: Console) -> int:
    """`--status`: the account, or why there is none; exit 1 when a login is needed."""
    state = codex.account()
    account: Any = state.account
    if account is not None:
        account = getattr(account, "root", account)
        kind = getattr(account, "type", "?")
        email = getattr(account, "email", None)
        shown = f"{kind}" + (f" ({email})" if email else "")
        console.tagged("login", f"logged in: {shown} ({_home(codex)})", "green")
        return EXIT_OK
    if not state.requires_openai_auth:
        console.tagged("login", "the configured model provider needs no OpenAI login", "dim")
        return EXIT_OK
    console.tagged("login", f"not logged in ({_home(codex)}); run `{PROG} login`", "yellow")
    return EXIT_FAILED


def _home(codex: Codex) -> str:
    return f"CODEX_HOME={codex.metadata.codex_home}"
