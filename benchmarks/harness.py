"""The benchmark orchestrator: `python -m benchmarks` (or `scripts/bench`).

It starts one `ScriptedModel` (the offline stand-in for the model API) in this process,
then for every scenario and round runs each client in a fresh worker subprocess against a
fresh real app-server: our SDK (`ours`), the raw JSON-RPC floor (`raw`), and the official
`openai-codex` package (`official`) from its own venv when it can be installed. Rounds
interleave the clients (in a rotating order) so that machine noise hits them alike.
Medians (and maxima where they matter) over every sample of every round go into one
markdown table, followed by the issue's targets as ratios with pass/fail.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import CLIENTS, FULL, QUICK, SCENARIOS, Sizes, answer_text

REPO = Path(__file__).resolve().parent.parent
OFFICIAL_VENV = REPO / "benchmarks" / ".venv-official"
OFFICIAL_PACKAGE = "openai-codex"
IMPORT_MARK = "@@BENCH-IMPORT-MARK@@"

#: Only the package root: what `import codex_app_server` costs (ours only).
IMPORT_ROOT = "import codex_app_server"
#: Scenarios a client does not run (the official async client parks an executor thread per
#: waiting stream: tens of idle turns would starve it, and there is nothing to measure).
NOT_RUN = {"memory_async": {"official"}}

IMPORT_STATEMENTS = {
    # What a program needs before it can run a turn, sync or async.
    "ours": "from codex_app_server import AppServerConfig, AsyncCodex, Codex",
    "raw": "import benchmarks.raw_floor",
    "official": "from openai_codex import AsyncCodex, Codex, CodexConfig",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- setup


@dataclass
class Client:
    name: str
    python: str | None
    label: str
    note: str = ""

    @property
    def available(self) -> bool:
        return self.python is not None


def runtime_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("openai-codex-cli-bin")
    except metadata.PackageNotFoundError:
        return None


def _official_version(python: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import openai_codex; print(openai_codex.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
            env=_worker_env(None),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_official(setup: bool, version: str | None) -> Client:
    """The official package's venv: reuse it, or create it (when `setup`), or say why not."""
    python = OFFICIAL_VENV / "bin" / "python"
    installed = _official_version(python) if python.exists() else None
    if installed is None and setup:
        log(f"setting up {OFFICIAL_VENV.relative_to(REPO)} (pip install {OFFICIAL_PACKAGE}) ...")
        try:
            if not python.exists():
                subprocess.run([sys.executable, "-m", "venv", str(OFFICIAL_VENV)], check=True)
            wanted = [f"{OFFICIAL_PACKAGE}=={version}"] if version else []
            for requirement in [*wanted, OFFICIAL_PACKAGE]:
                done = subprocess.run(
                    [str(python), "-m", "pip", "install", "--quiet", requirement],
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                if done.returncode == 0:
                    break
                log(f"  pip install {requirement} failed: {done.stderr.strip()[-300:]}")
        except (OSError, subprocess.SubprocessError) as exc:
            log(f"  could not create the venv: {exc}")
        installed = _official_version(python) if python.exists() else None
    if installed is None:
        why = "not installed" if not setup else "could not be installed"
        return Client("official", None, "official", f"`{OFFICIAL_PACKAGE}` {why}")
    return Client("official", str(python), f"official {installed}")


def _worker_env(pycache: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    # Import times are measured with bytecode caches for every client alike: in a shared
    # prefix that the warm-up run fills, whatever PYTHONDONTWRITEBYTECODE says here.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = str(REPO)
    return env


# ---------------------------------------------------------------------------- running


@dataclass
class Cell:
    """Every sample of one (scenario, client), over all rounds."""

    metrics: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, metrics: dict[str, list[Any]]) -> None:
        for name, samples in metrics.items():
            self.metrics.setdefault(name, []).extend(samples)

    def median(self, name: str) -> float | None:
        samples = [s for s in self.metrics.get(name, []) if isinstance(s, (int, float))]
        return statistics.median(samples) if samples else None

    def max(self, name: str) -> float | None:
        samples = [s for s in self.metrics.get(name, []) if isinstance(s, (int, float))]
        return max(samples) if samples else None

    def all_true(self, name: str) -> bool | None:
        samples = self.metrics.get(name)
        return all(samples) if samples else None


class Runner:
    def __init__(self, args: argparse.Namespace, sizes: Sizes, clients: list[Client]) -> None:
        self.args = args
        self.sizes = sizes
        self.clients = clients
        self.workdir = Path(tempfile.mkdtemp(prefix="codex-bench-"))
        self.env = _worker_env(self.workdir / "pycache")
        self.results: dict[str, dict[str, Cell]] = {}
        self.model: Any = None
        self.codex_bin = ""
        self._count = 0

    # -- model

    def start_model(self) -> None:
        from codex_app_server._transport.runtime import resolve_codex_bin
        from codex_app_server.testing import ScriptedModel

        self.codex_bin = str(resolve_codex_bin(self.args.codex_bin))
        self.model = ScriptedModel().start()
        self.model.respond_with(_responder)

    def stop_model(self) -> None:
        if self.model is not None:
            self.model.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _launch(self) -> dict[str, Any]:
        self._count += 1
        config = self.model.config(self.workdir / f"run{self._count}", codex_bin=self.codex_bin)
        env = config.build_env()
        for key in ("PYTHONPYCACHEPREFIX", "PYTHONPATH"):
            env.pop(key, None)
        return {
            "codex_bin": self.codex_bin,
            "argv": config.build_argv(),
            "env": env,
            "cwd": str(config.cwd),
        }

    def _forget(self, run_dir: Path) -> None:
        # Free what the model recorded and what the app-server wrote (sessions, logs).
        self.model.reset()
        self.model.respond_with(_responder)
        shutil.rmtree(run_dir, ignore_errors=True)

    # -- one worker

    def run_worker(self, client: Client, scenario: str) -> tuple[dict[str, Any] | None, str]:
        assert client.python is not None
        launch = self._launch()
        run_dir = self.workdir / f"run{self._count}"
        spec = {
            "client": client.name,
            "scenario": scenario,
            "launch": launch,
            "params": {**self.sizes.as_dict(), "warm": self.args.warm},
        }
        spec_path, out_path = run_dir / "spec.json", run_dir / "out.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        argv = [client.python, "-m", "benchmarks.worker", str(spec_path), str(out_path)]
        stderr_path = run_dir / "worker.stderr"
        env = self.env
        if self.args.profile:
            profile_dir = Path(self.args.profile)
            profile_dir.mkdir(parents=True, exist_ok=True)
            env = {
                **env,
                "BENCH_PROFILE": str(profile_dir / f"{scenario}-{client.name}-{self._count}.prof"),
            }
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
            try:
                proc.wait(self.args.timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            if timed_out:
                return None, f"timed out after {self.args.timeout:g}s"
            if not out_path.exists():
                tail = stderr_path.read_text(errors="replace")[-600:]
                return None, f"worker died (exit {proc.returncode}): {tail}"
            payload = json.loads(out_path.read_text(encoding="utf-8"))
            if not payload["ok"]:
                if self.args.verbose:
                    log(payload.get("traceback", ""))
                return None, str(payload["error"])
            return payload["metrics"], ""
        finally:
            self._forget(run_dir)

    # -- import time

    def import_ms(self, client: Client) -> tuple[dict[str, Any] | None, str]:
        assert client.python is not None
        mark = f"import sys; sys.stderr.write({IMPORT_MARK!r} + '\\n')"
        statements = {"import_ms": IMPORT_STATEMENTS[client.name]}
        if client.name == "ours":
            statements["import_root_ms"] = IMPORT_ROOT
        metrics: dict[str, Any] = {}
        for metric, statement in statements.items():
            argv = [client.python, "-X", "importtime", "-c", f"{mark}; {statement}"]
            samples = []
            for i in range(self.sizes.import_runs + 1):  # the first run fills the cache
                done = subprocess.run(
                    argv, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=120
                )
                if done.returncode != 0:
                    return None, done.stderr.strip().splitlines()[-1][:300]
                if i:
                    samples.append(_cumulative_ms(done.stderr))
            metrics[metric] = samples
        return metrics, ""

    # -- everything

    def run(self, scenarios: Sequence[str]) -> None:
        available = [c for c in self.clients if c.available]
        for scenario in scenarios:
            runs = [c for c in available if c.name not in NOT_RUN.get(scenario, ())]
            cells = self.results.setdefault(scenario, {c.name: Cell() for c in runs})
            rounds = 1 if scenario == "import" else self.args.reps
            for r in range(rounds):
                order = runs[r % len(runs) :] + runs[: r % len(runs)]
                for client in order:
                    cell = cells[client.name]
                    if any(v for k, v in cell.metrics.items() if k.endswith("_capped")):
                        continue  # starved once (a sample hit the cap): no need to wait again
                    t0 = time.monotonic()
                    if scenario == "import":
                        metrics, error = self.import_ms(client)
                    else:
                        metrics, error = self.run_worker(client, scenario)
                    cell.seconds += time.monotonic() - t0
                    status = "ok" if metrics is not None else f"FAILED: {error}"
                    log(
                        f"  {scenario:<17} round {r + 1}/{rounds} {client.name:<8} "
                        f"{time.monotonic() - t0:6.1f}s {status}"
                    )
                    if metrics is not None:
                        cell.add(metrics)
                    else:
                        cell.errors.append(error)


def _cumulative_ms(stderr: str) -> float:
    """Sum of the cumulative times of the top-level imports after the marker."""
    total_us = 0
    seen_mark = False
    for line in stderr.splitlines():
        if IMPORT_MARK in line:
            seen_mark = True
            continue
        if not seen_mark or not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: "| name"
            total_us += int(parts[1])
    return total_us / 1000


def _responder(request: Any) -> Any:
    from codex_app_server.testing import Reply

    words = (request.last_user_text or "").split()
    if words[:2] == ["bench", "hang"]:
        return Reply.hang()
    if words[:2] == ["bench", "text"] and len(words) == 4:
        deltas = int(words[2])
        return Reply.text(answer_text(deltas), deltas=deltas, delay=float(words[3]) / 1000)
    return None


# ---------------------------------------------------------------------------- report


@dataclass
class Row:
    scenario: str
    title: str
    value: Callable[[Cell], float | None]
    fmt: str
    extra: Callable[[Cell], float | None] | None = None  # shown as "value / extra"
    extra_fmt: str = ""
    higher_is_better: bool = False
    check: str | None = None  # a boolean metric that must be true ("delivered")
    capped: str | None = None  # a metric saying a sample is the scenario's cap (starved)


def _ms(name: str) -> Callable[[Cell], float | None]:
    return lambda c: None if c.median(name) is None else c.median(name) * 1000  # type: ignore[operator]


def _max_ms(name: str) -> Callable[[Cell], float | None]:
    return lambda c: None if c.max(name) is None else c.max(name) * 1000  # type: ignore[operator]


def _med(name: str, scale: float = 1.0) -> Callable[[Cell], float | None]:
    return lambda c: None if c.median(name) is None else c.median(name) * scale  # type: ignore[operator]


def rows(sizes: Sizes) -> list[Row]:
    return [
        Row("import", "`import` (cumulative, -X importtime), ms", _med("import_ms"), "{:.0f}"),
        Row("import", "`import codex_app_server` alone, ms", _med("import_root_ms"), "{:.0f}"),
        Row(
            "first_turn_async",
            f"a fresh process's first turn ({sizes.first_turn_deltas} deltas), async: import "
            "+ spawn + initialize + turn + typed result, ms",
            _ms("total_s"),
            "{:.0f}",
        ),
        Row(
            "first_turn_async",
            "longest event-loop stall during that first turn (after the import), worst "
            "round: wall / loop busy (CPU), ms",
            _max_ms("stall_s"),
            "{:.1f}",
            _max_ms("busy_s"),
            "{:.1f}",
        ),
        Row(
            "first_turn_sync",
            f"a fresh process's first turn ({sizes.first_turn_deltas} deltas), sync: import "
            "+ spawn + initialize + turn + typed result, ms",
            _ms("total_s"),
            "{:.0f}",
        ),
        Row("spawn_sync", "spawn + initialize, sync, ms", _ms("spawn_s"), "{:.0f}"),
        Row("spawn_async", "spawn + initialize, async, ms", _ms("spawn_s"), "{:.0f}"),
        Row("turns_sync", "sequential simple turn, sync, ms/turn", _ms("turn_s"), "{:.1f}"),
        Row("turns_async", "sequential simple turn, async, ms/turn", _ms("turn_s"), "{:.1f}"),
        Row(
            "stream_sync",
            f"sync stream of {sizes.stream_deltas:,} deltas: notifications/s",
            _med("rate"),
            "{:,.0f}",
            higher_is_better=True,
            check="delivered",
        ),
        Row(
            "stream_sync",
            "sync stream: client CPU s per 10k notifications",
            _med("cpu_per_10k"),
            "{:.3f}",
        ),
        Row(
            "stream_async",
            f"async stream of {sizes.stream_deltas:,} deltas: notifications/s",
            _med("rate"),
            "{:,.0f}",
            higher_is_better=True,
            check="delivered",
        ),
        Row(
            "stream_async",
            "async stream: client CPU s per 10k notifications",
            _med("cpu_per_10k"),
            "{:.3f}",
        ),
        Row(
            "concurrent_async",
            f"{sizes.concurrent_async_turns} concurrent async turns "
            f"({sizes.concurrent_deltas} deltas each): wall s / client RSS MB",
            _med("wall_s"),
            "{:.2f}",
            _med("rss_mb"),
            "{:.0f}",
            check="delivered",
        ),
        Row(
            "concurrent_sync",
            f"{sizes.concurrent_sync_threads} threads on one sync client "
            f"({sizes.concurrent_deltas} deltas each): wall s / client RSS MB",
            _med("wall_s"),
            "{:.2f}",
            _med("rss_mb"),
            "{:.0f}",
            check="delivered",
        ),
        Row(
            "interrupt_async",
            f"interrupt -> completed while {sizes.interrupt_streams} turns stream "
            "(async): median / max ms",
            _ms("latency_s"),
            "{:.0f}",
            _max_ms("latency_s"),
            "{:.0f}",
        ),
        Row(
            "silent_async",
            f"a {sizes.silent_fast_deltas}-delta turn while {sizes.silent_turns} turns "
            "wait silently (async), ms",
            _ms("fast_turn_s"),
            "{:.0f}",
            capped="fast_capped",
        ),
        Row(
            "silent_async",
            "interrupting one of those silent turns (async), ms",
            _ms("interrupt_s"),
            "{:.0f}",
            capped="interrupt_capped",
        ),
        Row(
            "silent_sync",
            f"a {sizes.silent_fast_deltas}-delta turn while {sizes.silent_turns} turns "
            "wait silently (sync threads), ms",
            _ms("fast_turn_s"),
            "{:.0f}",
        ),
        Row(
            "silent_sync",
            "interrupting one of those silent turns (sync), ms",
            _ms("interrupt_s"),
            "{:.0f}",
        ),
        Row(
            "many_async",
            f"{sizes.many_turns:,} concurrent async turns ({sizes.many_deltas} deltas each): "
            "wall s / client RSS MB",
            _med("wall_s"),
            "{:.2f}",
            _med("rss_mb"),
            "{:.0f}",
            check="delivered",
            capped="wall_capped",
        ),
        Row(
            "many_async",
            f"longest event-loop stall during those {sizes.many_turns:,} turns, worst round: "
            "wall / loop busy (CPU), ms",
            _max_ms("stall_s"),
            "{:.1f}",
            _max_ms("busy_s"),
            "{:.1f}",
        ),
        Row(
            "memory_async",
            "client memory per idle subscribed turn (tracemalloc), bytes",
            _med("idle_turn_bytes"),
            "{:,.0f}",
        ),
        Row(
            "memory_async",
            f"client memory per 1,000 streamed notifications ({sizes.memory_stream_deltas:,}-"
            "delta turn): kept after the turn / peak during it, bytes",
            _med("stream_kept_per_1k"),
            "{:,.0f}",
            _med("stream_peak_per_1k"),
            "{:,.0f}",
            check="delivered",
        ),
    ]


def _cell_text(row: Row, cell: Cell | None) -> str:
    if cell is None:
        return "-"
    value = row.value(cell)
    if value is None:
        return "failed" if cell.errors else "-"
    text = row.fmt.format(value)
    if row.capped and any(cell.metrics.get(row.capped, [])):
        text = f">= {text} (timed out)"
    if row.extra is not None:
        extra = row.extra(cell)
        text += " / " + (row.extra_fmt.format(extra) if extra is not None else "-")
    if row.check and cell.all_true(row.check) is False:
        text += " (LOST DELTAS)"
    if cell.errors:
        text += f" ({len(cell.errors)} failed)"
    return text


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x" if a / b >= 0.01 else "<0.01x"


@dataclass
class Target:
    title: str
    scenario: str
    compute: Callable[[dict[str, Cell]], float | None]
    limit: float
    kind: str  # "max" (value <= limit) or "min" (value >= limit)
    shown: str  # how the value is expressed
    needs_official: bool = False


def _r(metric: Callable[[Cell], float | None], a: str, b: str) -> Callable[..., float | None]:
    def compute(cells: dict[str, Cell]) -> float | None:
        if a not in cells or b not in cells:
            return None
        x, y = metric(cells[a]), metric(cells[b])
        return None if x is None or y is None or y == 0 else x / y

    return compute


def _v(metric: Callable[[Cell], float | None]) -> Callable[..., float | None]:
    return lambda cells: metric(cells["ours"]) if "ours" in cells else None


def _d(metric: Callable[[Cell], float | None], a: str, b: str) -> Callable[..., float | None]:
    def compute(cells: dict[str, Cell]) -> float | None:
        if a not in cells or b not in cells:
            return None
        x, y = metric(cells[a]), metric(cells[b])
        return None if x is None or y is None else x - y

    return compute


def targets(sizes: Sizes) -> list[Target]:
    return [
        Target(
            "`import codex_app_server` < 30 ms",
            "import",
            _v(_med("import_root_ms")),
            30,
            "max",
            "ms",
        ),
        Target(
            "import time <= 1/5 of the official package's",
            "import",
            _r(_med("import_ms"), "ours", "official"),
            0.2,
            "max",
            "ours/official",
            needs_official=True,
        ),
        Target(
            "a fresh process's first turn (async) <= raw + 50 ms",
            "first_turn_async",
            _d(_ms("total_s"), "ours", "raw"),
            50,
            "max",
            "ms over raw",
        ),
        Target(
            "a fresh process's first turn (sync) <= raw + 50 ms",
            "first_turn_sync",
            _d(_ms("total_s"), "ours", "raw"),
            50,
            "max",
            "ms over raw",
        ),
        Target(
            "longest event-loop stall (loop busy) in the first turn <= 10 ms, every round",
            "first_turn_async",
            _v(_max_ms("busy_s")),
            10,
            "max",
            "ms",
        ),
        Target(
            "async stream: >= 0.9x the raw floor's notifications/s",
            "stream_async",
            _r(_med("rate"), "ours", "raw"),
            0.9,
            "min",
            "ours/raw",
        ),
        Target(
            "async stream: client CPU per notification <= 1.5x raw",
            "stream_async",
            _r(_med("cpu_per_10k"), "ours", "raw"),
            1.5,
            "max",
            "ours/raw",
        ),
        Target(
            "sync stream: client CPU per notification <= 1.5x raw",
            "stream_sync",
            _r(_med("cpu_per_10k"), "ours", "raw"),
            1.5,
            "max",
            "ours/raw",
        ),
        Target(
            "async stream: <= 1/2 the official client CPU per notification",
            "stream_async",
            _r(_med("cpu_per_10k"), "ours", "official"),
            0.5,
            "max",
            "ours/official",
            needs_official=True,
        ),
        Target(
            f"{sizes.concurrent_async_turns} concurrent async turns: <= 1.1x raw wall time",
            "concurrent_async",
            _r(_med("wall_s"), "ours", "raw"),
            1.1,
            "max",
            "ours/raw",
        ),
        Target(
            f"{sizes.concurrent_async_turns} concurrent async turns: client RSS <= raw + 20 MB",
            "concurrent_async",
            _d(_med("rss_mb"), "ours", "raw"),
            20,
            "max",
            "MB over raw",
        ),
        Target(
            f"interrupt while {sizes.interrupt_streams} turns stream: max <= 100 ms",
            "interrupt_async",
            _v(_max_ms("latency_s")),
            100,
            "max",
            "ms",
        ),
        Target(
            f"with {sizes.silent_turns} silent turns: a fast turn <= 1.5x raw",
            "silent_async",
            _r(_ms("fast_turn_s"), "ours", "raw"),
            1.5,
            "max",
            "ours/raw",
        ),
        Target(
            f"with {sizes.silent_turns} silent turns: an interrupt <= 50 ms",
            "silent_async",
            _v(_ms("interrupt_s")),
            50,
            "max",
            "ms",
        ),
        Target(
            f"{sizes.many_turns:,} concurrent turns: longest event-loop stall (loop busy) <= 10 ms",
            "many_async",
            _v(_max_ms("busy_s")),
            10,
            "max",
            "ms",
        ),
    ]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def report(
    runner: Runner, scenarios: Sequence[str], started: float, load: tuple[float, ...]
) -> str:
    sizes = runner.sizes
    by_name = {c.name: c for c in runner.clients}
    names = [c for c in CLIENTS if c in by_name]
    lines = []
    head = ["measure", *[by_name[n].label if n != "raw" else "raw floor" for n in names]]
    if "raw" in names:
        head.append("ours / raw")
    if "official" in names:
        head.append("ours / official")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for row in rows(sizes):
        if row.scenario not in scenarios or row.scenario not in runner.results:
            continue
        cells = runner.results[row.scenario]
        out = [row.title]
        for n in names:
            if not by_name[n].available:
                out.append("n/a")
            else:
                out.append(_cell_text(row, cells.get(n)))
        ours = row.value(cells["ours"]) if "ours" in cells else None
        for other in ("raw", "official"):
            if other in names:
                theirs = row.value(cells[other]) if other in cells else None
                out.append(_ratio(ours, theirs))
        lines.append("| " + " | ".join(out) + " |")

    lines.append("")
    lines.append("| target | value | limit | result |")
    lines.append("|---|---|---|---|")
    official_ok = by_name.get("official") is not None and by_name["official"].available
    for t in targets(sizes):
        if t.scenario not in scenarios or t.scenario not in runner.results:
            continue
        if t.needs_official and not official_ok:
            lines.append(f"| {t.title} | n/a | | not checked (official package not installed) |")
            continue
        value = t.compute(runner.results[t.scenario])
        limit = f"{'<=' if t.kind == 'max' else '>='} {t.limit:g}"
        if value is None:
            lines.append(f"| {t.title} | - | {limit} | not measured |")
            continue
        ok = value <= t.limit if t.kind == "max" else value >= t.limit
        if t.shown == "ms":
            shown = f"{value:.1f} ms"
        elif t.shown.endswith("over raw"):
            shown = f"{value:+.1f} {t.shown}"
        else:
            shown = f"{value:.2f} ({t.shown})"
        lines.append(f"| {t.title} | {shown} | {limit} | {'PASS' if ok else 'FAIL'} |")
    checked = [
        (s, c["ours"]) for s, c in runner.results.items() if "delivered" in c["ours"].metrics
    ]
    if checked:
        lost = [s for s, cell in checked if cell.all_true("delivered") is False]
        lines.append(
            "| every delta delivered (ours, all streaming scenarios) | "
            + ("all" if not lost else "lost in " + ", ".join(lost))
            + " | all | "
            + ("PASS" if not lost else "FAIL")
            + " |"
        )

    errors = [
        f"- {scenario} / {name}: {err}"
        for scenario, cells in runner.results.items()
        for name, cell in cells.items()
        for err in cell.errors[:2]
    ]
    mode = (
        "warm: each worker ran one simple turn before measuring"
        if runner.args.warm
        else "cold: every worker is a fresh process that measures its first turns (no warm-up)"
    )
    notes = [
        "",
        f"Mode: {mode}.",
        f"Machine: {machine()}. Runtime: codex {runtime_version() or '?'} "
        f"(`{runner.codex_bin}`), the same binary for every client.",
        f"Load average (1/5/15 min) at start: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, "
        f"at the end: {os.getloadavg()[0]:.2f}; "
        f"{runner.args.reps} round(s) per scenario (import: {sizes.import_runs} runs)"
        f"{' (--quick sizes)' if runner.args.quick else ''}; "
        f"run took {time.monotonic() - started:.0f} s. Medians over all samples of all rounds.",
    ]
    for c in runner.clients:
        if c.note:
            notes.append(f"{c.name}: {c.note}.")
    starved = sorted(
        f"{scenario} / {name}"
        for scenario, cells in runner.results.items()
        for name, cell in cells.items()
        if any(v for k, v in cell.metrics.items() if k.endswith("_capped"))
    )
    if starved:
        notes.append(
            f"Starved (a sample hit the {runner.sizes.starved_cap_s:g} s cap, so that client "
            f"was measured in one round only): {', '.join(starved)}."
        )
    if errors:
        notes += ["", "Failures:", *errors]
    return "\n".join(lines + notes)


# ---------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Side-by-side benchmark: our SDK, the raw JSON-RPC floor and the official "
        "package, against the real app-server and a scripted model.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 round (smoke run)")
    parser.add_argument("--reps", type=int, help="rounds per scenario (default 5, quick 1)")
    parser.add_argument("--only", help="comma-separated scenarios to run (see --list)")
    parser.add_argument("--skip", help="comma-separated scenarios to leave out")
    parser.add_argument(
        "--clients", default=",".join(CLIENTS), help="comma-separated: ours,raw,official"
    )
    parser.add_argument(
        "--no-setup",
        action="store_true",
        help=f"do not create {OFFICIAL_VENV.relative_to(REPO)} if it is missing",
    )
    parser.add_argument(
        "--official-version", help="openai-codex version to install (default: the runtime's)"
    )
    parser.add_argument("--codex-bin", help="the codex binary (default: the bundled runtime)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per worker run")
    parser.add_argument("--out", help="also write the markdown table and raw samples here (dir)")
    parser.add_argument(
        "--profile", help="write a cProfile of each worker's main thread to this dir (.prof)"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="run one simple turn in each worker before measuring (default: cold, as users run)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print worker tracebacks")
    args = parser.parse_args(argv)
    if args.reps is None:
        args.reps = 1 if args.quick else 5
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, title in SCENARIOS.items():
            print(f"{name:<18} {title}")
        return 0
    scenarios = list(SCENARIOS)
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in SCENARIOS]
        if unknown:
            print(f"unknown scenario(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s in wanted]
    if args.skip:
        skipped = {s.strip() for s in args.skip.split(",")}
        scenarios = [s for s in scenarios if s not in skipped]
    wanted_clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if "ours" not in wanted_clients:
        wanted_clients.insert(0, "ours")
    clients = []
    for name in CLIENTS:
        if name not in wanted_clients:
            continue
        if name == "official":
            clients.append(
                ensure_official(not args.no_setup, args.official_version or runtime_version())
            )
        else:
            clients.append(Client(name, sys.executable, "ours" if name == "ours" else "raw floor"))
    sizes = QUICK if args.quick else FULL
    runner = Runner(args, sizes, clients)
    started, load = time.monotonic(), os.getloadavg()
    log(
        f"benchmarking {', '.join(c.label for c in clients if c.available)}: {', '.join(scenarios)}"
    )
    try:
        runner.start_model()
        runner.run(scenarios)
    finally:
        runner.stop_model()
    table = report(runner, scenarios, started, load)
    print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.md").write_text(table + "\n", encoding="utf-8")
        samples = {
            s: {n: {"metrics": c.metrics, "errors": c.errors} for n, c in cells.items()}
            for s, cells in runner.results.items()
        }
        (out / "results.json").write_text(
            json.dumps({"sizes": sizes.as_dict(), "reps": args.reps, "samples": samples}, indent=1),
            encoding="utf-8",
        )
    if args.check and re.search(r"\| (FAIL) \|", table):
        return 1
    return 0
