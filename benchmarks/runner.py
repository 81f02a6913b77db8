"""Running the workers: one fresh subprocess per (scenario, client, round), and the
import-time runs; every sample is kept in a `Cell` per (scenario, client)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clients import IMPORT_ROOT, IMPORT_STATEMENTS, REPO, Client, log, worker_env
from .common import Sizes, answer_text

IMPORT_MARK = "@@BENCH-IMPORT-MARK@@"
#: What `Runner.prime` runs once per client: imports and types what a turn does, on both
#: sides (the async side loads modules of its own lazily, e.g. its stdio transport).
PRIME_SCENARIOS = ("first_turn_sync", "first_turn_async")
#: Scenarios a client does not run: the official async client parks an executor thread per
#: waiting stream (tens of idle turns would starve it, and there is nothing to measure), and
#: at the saturated load its interrupts take seconds each, so its streams end before the
#: last ones are interrupted (80-95 s a round, then "no active turn to interrupt").
NOT_RUN = {"memory_async": {"official"}, "interrupt_saturated_async": {"official"}}
#: Rounds at most, whatever `--reps` says: the import runs its own repetitions, and 1,000
#: turns take about a minute per client (the app-server's own pace).
MAX_ROUNDS = {"import": 1, "many_async": 2}


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
        self.env = worker_env(self.workdir / "pycache")
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

    def prime(self) -> None:
        """Fill the shared bytecode cache (a fresh `PYTHONPYCACHEPREFIX` per run) with what
        each client's first turn imports, as an installed package has it: else the first
        cold worker of the run compiles the SDK, pydantic and the models it types, several
        hundred ms that no user pays after the first run (and the median of few rounds
        shows). One unmeasured first turn per client and side."""
        for client in self.clients:
            for scenario in PRIME_SCENARIOS if client.available else ():
                _metrics, error = self.run_worker(client, scenario)
                if error:
                    log(f"  priming {client.name} ({scenario}) failed: {error}")

    def run(self, scenarios: Sequence[str]) -> None:
        self.prime()
        available = [c for c in self.clients if c.available]
        for scenario in scenarios:
            runs = [c for c in available if c.name not in NOT_RUN.get(scenario, ())]
            cells = self.results.setdefault(scenario, {c.name: Cell() for c in runs})
            rounds = min(self.args.reps, MAX_ROUNDS.get(scenario, self.args.reps))
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
