"""Checks that run before anything is sent, so that a mistake fails at once and says why.

- `check_config`: `Codex(config=...)` takes an `AppServerConfig`; a dict (natural after
  `thread_start(config={...})`) is a `TypeError` that says where a dict goes.
- `check_cwd`: a working directory the SDK can see must exist and be a directory (not
  checked for a remote app-server, whose filesystem is not ours).
- `check_protocol_fields`: extra keywords of the high-level methods are the generated
  params model's fields, nothing else (one source of truth: the runtime's schema).
- `login_problem`: `account/read` says a login is needed and there is none.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import NotLoggedInError


def check_config(config: Any) -> None:
    """`TypeError` unless `config` is None or an `AppServerConfig`."""
    from .._config import AppServerConfig

    if config is None or isinstance(config, AppServerConfig):
        return
    hint = ""
    if isinstance(config, Mapping):
        hint = (
            "; a dict of Codex settings goes to thread_start(config={...}), and "
            "app-server overrides to AppServerConfig(config_overrides={...})"
        )
    raise TypeError(
        f"config must be an AppServerConfig (or None), not {type(config).__name__}{hint}"
    )


def check_cwd(cwd: str | os.PathLike[str] | None, *, remote: bool) -> str | None:
    """`cwd` as a string; `FileNotFoundError` / `NotADirectoryError` when it is local and
    does not exist or is not a directory."""
    if cwd is None:
        return None
    path = os.fspath(cwd)
    if remote:
        return path
    if not os.path.exists(path):
        raise FileNotFoundError(f"cwd {path!r} does not exist")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"cwd {path!r} is not a directory")
    return path


def check_protocol_fields(owner: str, model_name: str, fields: Mapping[str, Any]) -> None:
    """`TypeError` for a keyword that is not a field of the params model `model_name`."""
    if not fields:
        return
    from .models import model_class

    known = set(model_class(model_name).model_fields)
    for name in fields:
        if name not in known:
            import difflib  # only when a suggestion is built

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"{owner}() got an unexpected keyword argument {name!r} "
                f"(not a field of {model_name}){hint}"
            )


def login_problem(account: Mapping[str, Any], env: Mapping[str, str], home: str | None) -> None:
    """`NotLoggedInError` when `account/read` answered no account and that auth is required."""
    if account.get("account") is not None or not account.get("requiresOpenaiAuth"):
        return
    if env.get("OPENAI_API_KEY"):
        return  # the runtime reads it itself
    where = f" (credentials are kept in CODEX_HOME: {home})" if home else ""
    raise NotLoggedInError(
        "the app-server is not logged in and its model provider needs a login, so a turn "
        "would only retry and wait. Log in once"
        f"{where}: from Python, codex.login_api_key(os.environ['OPENAI_API_KEY']) "
        "(or codex.login_device_code() / codex.login_chatgpt() for a ChatGPT account); "
        "from the command line, `codex-py login`."
    )


def supported_efforts(models: Iterable[Mapping[str, Any]], model: str | None) -> list[str]:
    """The reasoning efforts `model` takes (all models' when it is None or not listed)."""
    rows = list(models)
    chosen = [m for m in rows if model is not None and model in (m.get("id"), m.get("model"))]
    efforts: list[str] = []
    for row in chosen or rows:
        for option in row.get("supportedReasoningEfforts") or []:
            value = option.get("reasoningEffort") if isinstance(option, Mapping) else None
            if isinstance(value, str):
                efforts.append(value)
    return efforts
