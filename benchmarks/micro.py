"""The client's own ceiling: stream from `fast_server.py`, which costs the server nothing.

    python -m benchmarks.micro [--deltas 100000] [--reps 5] [--profile] [variant ...]

Variants: ours-async, ours-sync, raw-async, raw-sync (default: all). Each run is a fresh
subprocess streaming one turn of N deltas through the client's public streaming API; it
reports notifications per second and client CPU seconds per 10k notifications (medians).
Because the fake server writes the whole turn at once, the numbers depend on the client
only, which makes this the tool for profiling and comparing hot-path changes without the
noise of the real app-server. `--profile` prints a cProfile of the first run (main thread).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from .common import DELTA, cpu, now, prompt

SERVER = [sys.executable, str(Path(__file__).with_name("fast_server.py"))]
VARIANTS = ("ours-async", "ours-sync", "raw-async", "raw-sync")


async def _ours_async(n: int) -> tuple[int, int, float, float]:
    from codex_app_server import AppServerConfig, AsyncCodex, TextInput

    async with AsyncCodex(AppServerConfig(launch_args_override=SERVER)) as codex:
        thread = await codex.thread_start()
        await thread.run(prompt(1))  # warm-up
        c0, t0 = cpu(), now()
        handle = await thread.turn(TextInput(prompt(n)))
        notes = deltas = 0
        async for note in handle.stream():
            notes += 1
            if note.method == DELTA:
                deltas += 1
        return notes, deltas, now() - t0, cpu() - c0


def _ours_sync(n: int) -> tuple[int, int, float, float]:
    from codex_app_server import AppServerConfig, Codex, TextInput

    with Codex(AppServerConfig(launch_args_override=SERVER)) as codex:
        thread = codex.thread_start()
        thread.run(prompt(1))
        c0, t0 = cpu(), now()
        handle = thread.turn(TextInput(prompt(n)))
        notes = deltas = 0
        for note in handle.stream():
            notes += 1
            if note.method == DELTA:
                deltas += 1
        return notes, deltas, now() - t0, cpu() - c0


async def _raw_async(n: int) -> tuple[int, int, float, float]:
    from .raw_floor import RawAsync

    rpc = RawAsync()
    await rpc.start(SERVER, None, None)
    await rpc.initialize()
    thread_id = (await rpc.request("thread/start", {}))["thread"]["id"]
    await rpc.run_turn(thread_id, prompt(1))
    c0, t0 = cpu(), now()
    record = await rpc.run_turn(thread_id, prompt(n))
    result = record.notifications, record.deltas, now() - t0, cpu() - c0
    await rpc.close()
    return result


def _raw_sync(n: int) -> tuple[int, int, float, float]:
    from .raw_floor import RawSync

    rpc = RawSync(SERVER, None, None)
    rpc.initialize()
    thread_id = rpc.request("thread/start", {})["thread"]["id"]
    rpc.wait_turn(rpc.start_turn(thread_id, prompt(1)))
    c0, t0 = cpu(), now()
    record = rpc.wait_turn(rpc.start_turn(thread_id, prompt(n)))
    result = record.notifications, record.deltas, now() - t0, cpu() - c0
    rpc.close()
    return result


def _one(variant: str, n: int) -> dict[str, Any]:
    if variant == "ours-async":
        notes, deltas, wall, used = asyncio.run(_ours_async(n))
    elif variant == "ours-sync":
        notes, deltas, wall, used = _ours_sync(n)
    elif variant == "raw-async":
        notes, deltas, wall, used = asyncio.run(_raw_async(n))
    else:
        notes, deltas, wall, used = _raw_sync(n)
    if deltas != n:
        raise AssertionError(f"{variant}: {deltas} of {n} deltas")
    return {"rate": notes / wall, "cpu_per_10k": used / notes * 10_000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.micro", description=__doc__)
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--deltas", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(_one, args.one, args.deltas)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        else:
            result = _one(args.one, args.deltas)
        print(json.dumps(result))
        return 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    print(
        f"| client | notifications/s | CPU s per 10k | ({args.deltas:,} deltas, {args.reps} runs)"
    )
    print("|---|---|---|")
    for variant in args.variants:
        rates, cpus = [], []
        for rep in range(args.reps):
            cmd = [sys.executable, "-m", "benchmarks.micro", "--one", variant]
            cmd += ["--deltas", str(args.deltas)]
            if args.profile and rep == 0:
                cmd.append("--profile")
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
            if done.returncode != 0:
                print(f"| {variant} | failed: {done.stderr.strip()[-300:]} | |")
                break
            if args.profile and rep == 0:
                print(done.stderr, file=sys.stderr)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rates.append(result["rate"])
            cpus.append(result["cpu_per_10k"])
        if rates:
            rate, used = statistics.median(rates), statistics.median(cpus)
            print(f"| {variant} | {rate:,.0f} | {used:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
