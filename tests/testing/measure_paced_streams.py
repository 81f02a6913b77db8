"""Measure what paced streams cost the scripted model (not collected by pytest).

    .venv/bin/python tests/testing/measure_paced_streams.py [--streams 32] [--seconds 5]

Starts a `ScriptedModel` with the benchmark's responder, has `--streams` `curl -N` readers
each stream "bench text 6000 3" (6,000 deltas 3 ms apart), and prints the model's own CPU
(user and system, % of one core) over `--seconds` and the deltas per second each reader
got (333 when the pacing is right). Needs `curl`; run it from the repository's root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.runner import _responder
from codex_app_server.testing import ScriptedModel

_BODY = (
    '{"model":"m","input":[{"type":"message","role":"user","content":'
    '[{"type":"input_text","text":"bench text 6000 3"}]}],"stream":true}'
)


def _count(path: Path) -> tuple[float, int]:
    when = time.monotonic()
    return when, path.read_bytes().count(b"output_text.delta\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    n = args.streams
    out = Path(tempfile.mkdtemp())
    model = ScriptedModel().start()
    model.respond_with(_responder)
    url = f"{model.base_url}/responses"
    curl = ["curl", "-s", "-N", "-X", "POST", url, "-H", "Content-Type: application/json"]
    readers = [subprocess.Popen([*curl, "-d", _BODY, "-o", str(out / str(i))]) for i in range(n)]
    try:
        time.sleep(2)  # all streams started and paced
        before = [_count(out / str(i)) for i in range(n)]
        cpu0, wall0 = os.times(), time.monotonic()
        time.sleep(args.seconds)
        cpu1, wall1 = os.times(), time.monotonic()
        after = [_count(out / str(i)) for i in range(n)]
    finally:
        model.close()
        for reader in readers:
            reader.wait(5)
        shutil.rmtree(out, ignore_errors=True)
    wall = wall1 - wall0
    user = 100 * (cpu1.user - cpu0.user) / wall
    system = 100 * (cpu1.system - cpu0.system) / wall
    rates = sorted((b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(before, after, strict=True))
    print(f"{n} paced streams: model CPU {user + system:.1f}% of a core", end=" ")
    print(f"(user {user:.1f}%, system {system:.1f}%)")
    print(
        f"deltas/s per stream: min {rates[0]:.1f}, median {rates[n // 2]:.1f}, "
        f"max {rates[-1]:.1f}; in total {sum(rates):.0f}/s"
    )


if __name__ == "__main__":
    main()
