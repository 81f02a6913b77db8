"""The JSONL results file: one line per finished task, flushed as it finishes; read back
to resume a batch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import orjson

from .task import TaskResult


def read_results(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The rows of a results file by task id (a later row for an id wins). Lines that do not
    parse (a process killed in the middle of a write) are ignored."""
    rows: dict[str, dict[str, Any]] = {}
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return rows
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            rows[row["id"]] = row
    return rows


def done_ids(path: str | os.PathLike[str], *, rerun_failed: bool = False) -> set[str]:
    """Ids a resumed batch skips: every id with a row (only the completed ones with
    `rerun_failed`)."""
    rows = read_results(path)
    if rerun_failed:
        return {i for i, row in rows.items() if row.get("status") == "completed"}
    return set(rows)


class ResultsWriter:
    """Appends results to a JSONL file, one flushed line each."""

    def __init__(self, path: str | os.PathLike[str], *, append: bool) -> None:
        self.path = Path(path)
        if not append and self.path.exists() and self.path.stat().st_size > 0:
            raise FileExistsError(
                f"{self.path} already has results: resume from it (resume=True / --resume) "
                "or remove it"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 (closed in close())
        if self._file.tell() > 0 and not _ends_with_newline(self.path):
            self._file.write(b"\n")  # the last run died in the middle of a line

    def write(self, result: TaskResult) -> None:
        """Write one result and flush it to the OS."""
        line = orjson.dumps(result.to_json(), default=str, option=orjson.OPT_APPEND_NEWLINE)
        self._file.write(line)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"
