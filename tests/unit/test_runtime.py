"""Finding the runtime binary with `os.path` alone (no `pathlib`, no `shutil`): the same
answers as the bundled package and `shutil.which`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codex_app_server import CodexNotFoundError
from codex_app_server._transport.runtime import _which, bundled_codex_bin, resolve_codex_bin


def test_the_bundled_binary_is_the_packages_own() -> None:
    import codex_cli_bin

    assert bundled_codex_bin() == os.fspath(codex_cli_bin.bundled_codex_path())
    assert resolve_codex_bin() == bundled_codex_bin()


def test_resolving_loads_neither_pathlib_nor_shutil() -> None:
    code = (
        "import sys\n"
        "from codex_app_server._transport.runtime import resolve_codex_bin\n"
        "print(resolve_codex_bin())\n"
        "print(sorted(m for m in ('pathlib', 'shutil', 'codex_cli_bin') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    path, loaded = done.stdout.splitlines()
    assert os.path.isfile(path) and os.access(path, os.X_OK)
    assert loaded == "[]"


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.skipif(os.name == "nt", reason="POSIX PATH rules")
def test_which_agrees_with_shutil(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "codex").write_text("not executable")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "codex").mkdir()  # a directory named codex
    (tmp_path / "c").mkdir()
    found = _executable(tmp_path / "c" / "codex")
    monkeypatch.setenv("PATH", os.pathsep.join(str(tmp_path / d) for d in "abc"))
    assert _which("codex") == shutil.which("codex") == str(found)
    monkeypatch.setenv("PATH", str(tmp_path / "a"))
    assert _which("codex") is None and shutil.which("codex") is None


def test_an_explicit_path_is_checked(tmp_path: Path) -> None:
    binary = _executable(tmp_path / "codex")
    assert resolve_codex_bin(binary) == str(binary)
    with pytest.raises(CodexNotFoundError, match="does not exist"):
        resolve_codex_bin(tmp_path / "missing")
    plain = tmp_path / "plain"
    plain.write_text("")
    with pytest.raises(CodexNotFoundError, match="not executable"):
        resolve_codex_bin(plain)
