"""Finding the app-server processes a process started (Linux `/proc`), for tests,
benchmarks and the RSS samples of `docs/scale.md`."""

from __future__ import annotations

import os
from pathlib import Path


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tasks = list(task_dir.iterdir())
    except OSError:
        return kids
    for task in tasks:
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def app_server_pids(root: int | None = None) -> list[int]:
    """Descendants of `root` (default: this process) running `codex app-server`."""
    found: list[int] = []
    stack = [os.getpid() if root is None else root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for child in _children(pid):
            stack.append(child)
            try:
                argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"app-server" in argv:
                found.append(child)
    return sorted(found)


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
