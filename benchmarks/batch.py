"""Batch-run benchmark (issue 14): `python -m benchmarks.batch [--quick] [--json OUT]`.

Against the real app-server and the scripted model (which runs in its own process, so
that it does not share the driver's GIL), every scenario on a fresh CODEX_HOME:

- loop vs run_batch: N short tasks with `run_batch(workers=1)` and with a hand-written
  `AsyncCodex` loop (thread_start, run, archive) at the same concurrency;
- scaling: N tasks on 1, 2 and 4 workers, local and Ray;
- Ray overhead: tasks one at a time (1 worker, concurrency 1), Ray vs local, per task;
- recovery: an app-server (local) or a worker actor (Ray) SIGKILLed mid-batch: seconds
  from the kill to the first re-run task completing, and whether every task completed once;
- memory: M tasks on 2 workers, every app-server's RSS sampled each second (the curve).

Prints a markdown report (and writes the raw numbers with --json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

SERVE_MODEL = """
import sys, threading
from codex_app_server.testing import Reply, ScriptedModel
model = ScriptedModel()
model.respond_with(lambda r: Reply.text("done: " + (r.last_user_text or "")))
model.start()
print(model.base_url, flush=True)
sys.stdin.read()
model.close()
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Model:
    """The scripted model in a subprocess (answers `done: <prompt>` to every request)."""

    def __enter__(self) -> Model:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_MODEL],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)

    def config(self, root: Path) -> Any:
        from codex_app_server import AppServerConfig
        from codex_app_server.testing import offline_env, write_offline_codex_home

        home = root / "codex-home"
        write_offline_codex_home(home, self.base_url)
        workspace = root / "workspace"
        workspace.mkdir(parents=True, exist_ok=True)
        return AppServerConfig(codex_home=home, env=offline_env(), cwd=workspace)


def tasks(n: int, tag: str) -> list[Any]:
    from codex_app_server.batch import Task

    return [Task(id=f"{tag}{i}", prompt=f"{tag} task {i}") for i in range(n)]


def check(results: list[Any], n: int) -> None:
    bad = [r for r in results if not r.ok or r.final_response != f"done: {_prompt(r.id)}"]
    assert len(results) == n and not bad, (len(results), bad[:2])


def _prompt(task_id: str) -> str:
    i = len(task_id) - len(task_id.lstrip("abcdefghijklmnopqrstuvwxyz"))
    return f"{task_id[:i]} task {task_id[i:]}"


def timed_batch(n: int, tag: str, config: Any, **options: Any) -> float:
    """Seconds for the whole batch (start-up included); the steady-state rate (tasks/s
    between the first and the last result) goes to STEADY."""
    from codex_app_server.batch import run_batch

    t0 = time.monotonic()
    results: list[Any] = []
    first = 0.0
    for result in run_batch(tasks(n, tag), config=config, **options):
        if not results:
            first = time.monotonic()
        results.append(result)
    end = time.monotonic()
    check(results, n)
    STEADY[(tag, options.get("workers"))] = (n - 1) / (end - first) if end > first else 0.0
    return end - t0


STEADY: dict[tuple[str, Any], float] = {}


async def hand_loop(n: int, tag: str, config: Any, concurrency: int) -> float:
    """What users write today: one AsyncCodex, a semaphore, thread_start + run + archive."""
    from codex_app_server import AsyncCodex

    t0 = time.monotonic()
    async with AsyncCodex(config) as codex:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> str | None:
            async with gate:
                thread = await codex.thread_start()
                result = await thread.run(f"{tag} task {i}")
                await codex.thread_archive(thread.id)
                return result.final_response

        answers = await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.monotonic() - t0
    assert answers == [f"done: {tag} task {i}" for i in range(n)]
    return elapsed


def recovery(n: int, tag: str, config: Any, backend: str) -> dict[str, Any]:
    """Kill a worker after n/5 results; seconds until the first re-run task completes."""
    from codex_app_server._scale.procs import app_server_pids
    from codex_app_server.batch import run_batch

    killed_at: float | None = None
    first_retry: float | None = None
    last_retry: float | None = None
    results = []
    for result in run_batch(
        tasks(n, tag), config=config, workers=2, concurrency=4, backend=backend
    ):
        results.append(result)
        if len(results) == n // 5:
            pid = _actor_pid() if backend == "ray" else app_server_pids()[0]
            os.kill(pid, signal.SIGKILL)
            killed_at = time.time()
        if killed_at is not None and result.attempts > 1:
            last_retry = result.finished_at - killed_at
            first_retry = last_retry if first_retry is None else first_retry
    counts = Counter(r.id for r in results)
    return {
        "all_completed_once": len(counts) == n
        and set(counts.values()) == {1}
        and all(r.ok for r in results),
        "rerun_tasks": sum(1 for r in results if r.attempts > 1),
        "seconds_to_first_rerun_completed": first_retry,
        "seconds_to_last_rerun_completed": last_retry,
    }


def _actor_pid() -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::CodexActor"):
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError("no actor process")


def memory(n: int, config: Any, keep_threads: bool = False) -> dict[str, Any]:
    """n tasks on 2 workers; RSS of every app-server each second."""
    from codex_app_server._scale.procs import app_server_pids, rss_bytes
    from codex_app_server.batch import run_batch

    samples: list[tuple[float, int, list[int]]] = []
    last = 0.0
    t0 = time.monotonic()
    batch = run_batch(
        tasks(n, "m"), config=config, workers=2, concurrency=8, keep_threads=keep_threads
    )
    for done, result in enumerate(batch, 1):
        assert result.ok, result.error
        now = time.monotonic()
        if now - last >= 1.0 or done == n:
            last = now
            rss = [rss_bytes(p) or 0 for p in app_server_pids()]
            samples.append((now - t0, done, [r // 2**20 for r in rss]))
    peak = max(max(s[2]) for s in samples)
    return {"tasks": n, "seconds": time.monotonic() - t0, "peak_mb": peak, "samples": samples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray scenarios")
    parser.add_argument("--json", metavar="PATH", help="write the raw numbers here")
    args = parser.parse_args(argv)
    n, n_seq, n_mem = (60, 20, 300) if args.quick else (500, 100, 5000)
    conc = 8
    report: dict[str, Any] = {"load_before": os.getloadavg(), "cores": os.cpu_count()}
    with Model() as model, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fresh = iter(range(1000))

        def cfg() -> Any:
            return model.config(root / f"s{next(fresh)}")

        log(f"loop vs run_batch: {n} tasks, concurrency {conc}")
        report["hand_loop_s"] = asyncio.run(hand_loop(n, "a", cfg(), conc))
        report["run_batch_1w_s"] = timed_batch(n, "b", cfg(), workers=1, concurrency=conc)
        report["local"] = {}
        for w in (1, 2, 4):
            log(f"local, {w} workers")
            report["local"][w] = timed_batch(n, "c", cfg(), workers=w, concurrency=conc)
        log(f"local, sequential {n_seq}")
        report["local_seq_s"] = timed_batch(n_seq, "d", cfg(), workers=1, concurrency=1)
        log("local recovery")
        report["local_recovery"] = recovery(n // 2, "e", cfg(), "local")
        if not args.no_ray:
            import ray

            t0 = time.monotonic()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            report["ray_init_s"] = time.monotonic() - t0
            opts = {"ray_actor_options": {"num_cpus": 0.5}, "backend": "ray"}
            report["ray"] = {}
            for w in (1, 2, 4):
                log(f"ray, {w} workers")
                report["ray"][w] = timed_batch(n, "f", cfg(), workers=w, concurrency=conc, **opts)
            log(f"ray, sequential {n_seq}")
            report["ray_seq_s"] = timed_batch(n_seq, "g", cfg(), workers=1, concurrency=1, **opts)
            log("ray recovery")
            report["ray_recovery"] = recovery(n // 2, "h", cfg(), "ray")
            ray.shutdown()
        log(f"memory: {n_mem} tasks on 2 workers")
        report["memory"] = memory(n_mem, cfg())
    report["load_after"] = os.getloadavg()
    names = {"c": "local", "f": "ray"}
    report["steady"] = {f"{names[t]}/{w}": v for (t, w), v in STEADY.items() if t in names}
    report["n"], report["n_seq"], report["concurrency"] = n, n_seq, conc
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


def render(r: dict[str, Any]) -> str:
    n, seq = r["n"], r["n_seq"]
    lines = [
        f"# Batch benchmark ({r['cores']} cores; load {r['load_before'][0]:.1f} before, "
        f"{r['load_after'][0]:.1f} after)",
        "",
        f"{n} short tasks, concurrency {r['concurrency']} per worker:",
        "",
        "tasks/s counts start-up (spawning app-servers or Ray actors); steady: from the "
        "first result to the last.",
        "",
        "| run | seconds | tasks/s |",
        "| --- | ---: | ---: |",
        f"| hand-written AsyncCodex loop | {r['hand_loop_s']:.2f} | {n / r['hand_loop_s']:.0f} |",
        f"| run_batch, 1 worker | {r['run_batch_1w_s']:.2f} | {n / r['run_batch_1w_s']:.0f} |",
    ]
    for backend in ("local", "ray"):
        for w, s in r.get(backend, {}).items():
            steady = r.get("steady", {}).get(f"{backend}/{w}")
            extra = f" (steady {steady:.0f})" if steady else ""
            lines.append(f"| {backend}, {w} worker(s) | {s:.2f} | {n / s:.0f}{extra} |")
    ratio = r["run_batch_1w_s"] / r["hand_loop_s"]
    lines += ["", f"run_batch(1 worker) / hand loop: {ratio:.2f}x (target <= 1.1)"]
    if "local" in r and 2 in r["local"]:
        lines.append(f"2 workers vs 1: {r['local'][1] / r['local'][2]:.2f}x faster")
    if "ray_seq_s" in r:
        per_local = r["local_seq_s"] / seq * 1000
        per_ray = r["ray_seq_s"] / seq * 1000
        lines.append(
            f"one task at a time: local {per_local:.1f} ms, Ray {per_ray:.1f} ms per task: "
            f"Ray overhead {per_ray - per_local:.1f} ms per task (target < 20); "
            f"ray.init {r['ray_init_s']:.1f} s"
        )
    for key in ("local_recovery", "ray_recovery"):
        if key in r:
            rec = r[key]
            lines.append(
                f"{key.replace('_', ' ')}: every task completed once: {rec['all_completed_once']}; "
                f"{rec['rerun_tasks']} re-run; first re-run done "
                f"{rec['seconds_to_first_rerun_completed']:.2f} s after the kill, last "
                f"{rec['seconds_to_last_rerun_completed']:.2f} s"
            )
    mem = r["memory"]
    lines += [
        "",
        f"memory: {mem['tasks']} tasks on 2 workers in {mem['seconds']:.0f} s, "
        f"peak app-server RSS {mem['peak_mb']} MB (target < 400)",
        "",
        "| seconds | tasks done | RSS per app-server (MB) |",
        "| ---: | ---: | --- |",
    ]
    samples = mem["samples"]
    step = max(1, len(samples) // 12)
    shown = samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else [])
    for t, done, rss in shown:
        lines.append(f"| {t:.0f} | {done} | {', '.join(map(str, rss))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
