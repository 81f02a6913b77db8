"""Find the Codex runtime binary.

Plain `os.path` work: resolving runs on the spawn path of every cold start, and `pathlib`
(with `urllib.parse` and `ipaddress`) or `shutil` would cost it a few milliseconds.
"""

from __future__ import annotations

import os

from .._protocol.errors import CodexNotFoundError

_HOW_TO_FIX = (
    "Install the pinned runtime with `pip install openai-codex-cli-bin==0.163.0` "
    "(it ships the `codex` binary), put `codex` on PATH, "
    "or pass AppServerConfig(codex_bin='/path/to/codex')."
)

#: What `openai-codex-cli-bin` ships beside its `__init__.py`: its metadata file and the
#: binary. Found without importing the package (it loads `pathlib`); any other layout
#: falls back to asking the package itself.
_BUNDLED_METADATA = "codex-package.json"
_EXE = "codex.exe" if os.name == "nt" else "codex"


def bundled_codex_bin() -> str | None:
    """The `codex` binary shipped in the `openai-codex-cli-bin` wheel, if installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("codex_cli_bin")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin:
        package_dir = os.path.dirname(os.path.realpath(spec.origin))
        exe = os.path.join(package_dir, "bin", _EXE)
        if os.path.isfile(os.path.join(package_dir, _BUNDLED_METADATA)) and os.path.isfile(exe):
            return exe
    try:
        import codex_cli_bin

        path = os.fspath(codex_cli_bin.bundled_codex_path())
    except (ImportError, FileNotFoundError, OSError):
        return None
    return path if os.path.isfile(path) else None


def _which(name: str) -> str | None:
    """`shutil.which(name)` for a bare name, without importing `shutil` (and its
    compression modules): the first executable file of that name on PATH."""
    if os.name == "nt":  # pragma: no cover - PATHEXT rules: let shutil do them
        import shutil

        return shutil.which(name)
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def resolve_codex_bin(explicit: str | os.PathLike[str] | None = None) -> str:
    """The explicit path if given, else the bundled runtime, else `codex` on PATH."""
    if explicit is not None:
        path = os.path.expanduser(os.fspath(explicit))
        if not os.path.isfile(path):
            raise CodexNotFoundError(f"codex_bin {path!r} does not exist. {_HOW_TO_FIX}")
        if not os.access(path, os.X_OK):
            raise CodexNotFoundError(f"codex_bin {path!r} is not executable.")
        return path
    bundled = bundled_codex_bin()
    if bundled is not None:
        return bundled
    on_path = _which("codex")
    if on_path:
        return on_path
    raise CodexNotFoundError(f"No Codex runtime found. {_HOW_TO_FIX}")
