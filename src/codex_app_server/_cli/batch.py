"""`codex-py batch TASKS.jsonl --out RESULTS.jsonl ...`: run a tasks file, resumably.

The `codex-py` parser calls `add_parser(subparsers, parents)`; the handler is `cmd_batch`.
A progress bar (rich) on a terminal, plain progress lines otherwise, a summary at the end;
exit 0 only if every task of the file completed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .._scale.progress import BatchProgress
from .codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

PLAIN_EVERY = 2.0  # seconds between plain progress lines


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> Any:
    """Add the `batch` command to the `codex-py` subparsers."""
    p = subparsers.add_parser(
        "batch",
        parents=list(parents),
        help="run a JSONL file of tasks on several app-servers (resumable)",
        description="Run every task of TASKS (one JSON object a line: "
        '{"id": ..., "prompt": ..., "cwd"?, "model"?, "output_schema"?, "metadata"?}) '
        "and write one result line per task to --out as it finishes. Exit 0 only if every "
        "task completed.",
    )
    p.add_argument("tasks", metavar="TASKS.jsonl", help="the tasks file ('-': stdin)")
    p.add_argument("--out", "-o", required=True, metavar="RESULTS.jsonl", help="results file")
    p.add_argument("--workers", "-w", type=int, default=2, help="app-servers / actors (2)")
    p.add_argument("--concurrency", "-c", type=int, default=8, help="tasks at once per worker (8)")
    p.add_argument("--backend", choices=("local", "ray"), default="local", help="(local)")
    p.add_argument(
        "--resume", action="store_true", help="skip the tasks already in --out; run the rest"
    )
    p.add_argument(
        "--rerun-failed", action="store_true", help="with --resume: run failed tasks again"
    )
    p.add_argument("--retries", type=int, default=0, help="extra attempts per failed task (0)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per task, 0: none (600)")
    p.add_argument("--keep-threads", action="store_true", help="do not archive finished threads")
    p.add_argument("--model", "-m", help="model for the tasks that name none")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster to join (default: local)")
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "none"),
        default="auto",
        help="progress display (auto: a bar on a terminal, plain lines otherwise)",
    )
    p.set_defaults(func=cmd_batch)
    return p


def read_tasks(source: str) -> list[dict[str, Any]]:
    """The task objects of a JSONL file (blank lines and `#` comments skipped)."""
    import orjson

    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    tasks = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            tasks.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{source}:{number}: not JSON: {exc}") from None
    return tasks


def cmd_batch(args: argparse.Namespace, console: Any = None) -> int:
    """Run the batch; the exit status."""
    from codex_app_server import AppServerConfig
    from codex_app_server.batch import Task, read_results, run_batch

    err: TextIO = sys.stderr
    try:
        raw = read_tasks(args.tasks)
        tasks = [Task.from_json(t) for t in raw]
        if args.model:
            for task in tasks:
                task.model = task.model or args.model
        if args.workers < 1 or args.concurrency < 1:
            raise ValueError("--workers and --concurrency must be at least 1")
    except (OSError, ValueError) as exc:
        print(f"codex-py batch: {exc}", file=err)
        return EXIT_USAGE
    out = Path(args.out)
    if not args.resume and out.exists() and out.stat().st_size > 0:
        print(f"codex-py batch: {out} already has results: add --resume, or remove it", file=err)
        return EXIT_USAGE
    fields: dict[str, Any] = {
        "codex_bin": getattr(args, "codex_bin", None),
        "codex_home": getattr(args, "codex_home", None),
    }
    if getattr(args, "url", None):  # one remote app-server per worker, all at that URL
        fields["url"] = args.url
        if getattr(args, "token_file", None):
            fields["auth_token_file"] = args.token_file
    config = AppServerConfig(**fields)
    display = _display(args.progress, err, len(tasks))
    started = time.monotonic()
    interrupted = False
    results = run_batch(
        tasks,
        config=config,
        workers=args.workers,
        concurrency=args.concurrency,
        results_path=out,
        resume=args.resume,
        rerun_failed=args.rerun_failed,
        backend=args.backend,
        retries=args.retries,
        timeout=args.timeout or None,
        keep_threads=args.keep_threads,
        ray_address=args.ray_address,
        progress=display.update,
    )
    try:
        for result in results:
            display.result(result)
    except KeyboardInterrupt:
        interrupted = True
        results.close()
    finally:
        display.stop()
    rows = read_results(out)
    ids = [t.id for t in tasks]
    statuses = [rows[i]["status"] if i in rows else "not run" for i in ids]
    _summary(err, ids, statuses, time.monotonic() - started, out, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if all(s == "completed" for s in statuses) else EXIT_FAILED


def _summary(
    err: TextIO, ids: list[str], statuses: list[str], elapsed: float, out: Path, stopped: bool
) -> None:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    head = "stopped" if stopped else "done"
    print(f"batch {head}: {len(ids)} tasks: {parts} ({elapsed:.1f} s); results in {out}", file=err)
    bad = [i for i, s in zip(ids, statuses, strict=False) if s != "completed"]
    if bad:
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        print(f"not completed: {shown}", file=err)


def _display(mode: str, stream: TextIO, total: int) -> Any:
    tty = bool(getattr(stream, "isatty", None) and stream.isatty())
    if mode == "none":
        return _Silent()
    if mode == "bar" or (mode == "auto" and tty and os.environ.get("TERM") != "dumb"):
        try:
            return _RichBar(stream, total)
        except ImportError:
            pass  # rich is optional (the `cli` extra): fall back to plain lines
    return _PlainLines(stream)


class _Silent:
    def update(self, progress: BatchProgress) -> None:
        pass

    def result(self, result: Any) -> None:
        pass

    def stop(self) -> None:
        pass


class _PlainLines(_Silent):
    """One line every couple of seconds, and one at the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last = 0.0
        self._latest: BatchProgress | None = None
        self._shown: BatchProgress | None = None

    def update(self, progress: BatchProgress) -> None:
        self._latest = progress
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY:
            self._last = now
            self._print(progress)

    def _print(self, p: BatchProgress) -> None:
        self._shown = p
        eta = f", ETA {p.eta:.0f} s" if p.eta is not None else ""
        print(
            f"[batch] {p.done}/{p.total} done: {p.completed} completed, {p.failed} failed, "
            f"{p.skipped} skipped, {p.running} running; {p.rate:.1f} tasks/s{eta}",
            file=self._stream,
            flush=True,
        )

    def stop(self) -> None:
        if self._latest is not None and self._latest is not self._shown:
            self._print(self._latest)


class _RichBar(_Silent):
    """A rich progress bar with done / failed / running counts, throughput and ETA."""

    def __init__(self, stream: TextIO, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[ok]} ok[/] [red]{task.fields[bad]} failed[/]"),
            TextColumn("{task.fields[running]} running  {task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
        )
        self._task = self._progress.add_task("batch", total=total, ok=0, bad=0, running=0, rate="")
        self._progress.start()

    def update(self, p: BatchProgress) -> None:
        self._progress.update(
            self._task,
            completed=p.done,
            ok=p.completed + p.skipped,
            bad=p.failed,
            running=p.running,
            rate=f"{p.rate:.1f}/s",
        )

    def stop(self) -> None:
        self._progress.stop()
