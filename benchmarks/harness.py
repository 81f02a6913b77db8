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
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .clients import OFFICIAL_VENV, REPO, Client, ensure_official, log, runtime_version
from .common import CLIENTS, FULL, QUICK, SCENARIOS
from .report import report
from .runner import Runner

__all__ = ["main", "parse_args"]


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
