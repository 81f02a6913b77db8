"""The markdown report: the measures table, the targets table, and the run's notes."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from .clients import runtime_version
from .common import CLIENTS
from .runner import Cell, Runner
from .tables import Row, rows, targets


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


def measures_table(runner: Runner, scenarios: Sequence[str]) -> list[str]:
    """One row per measure: each client's value, then ours over each other client's."""
    by_name = {c.name: c for c in runner.clients}
    names = [c for c in CLIENTS if c in by_name]
    others = [n for n in ("raw", "official") if n in names]
    head = ["measure", *[by_name[n].label if n != "raw" else "raw floor" for n in names]]
    head += [f"ours / {n}" for n in others]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows(runner.sizes):
        if row.scenario not in scenarios or row.scenario not in runner.results:
            continue
        cells = runner.results[row.scenario]
        out = [row.title]
        out += [_cell_text(row, cells.get(n)) if by_name[n].available else "n/a" for n in names]
        ours = row.value(cells["ours"]) if "ours" in cells else None
        out += [_ratio(ours, row.value(cells[n]) if n in cells else None) for n in others]
        lines.append("| " + " | ".join(out) + " |")
    return lines


def _shown(value: float, shown: str) -> str:
    if shown == "ms":
        return f"{value:.1f} ms"
    if shown.endswith("over raw"):
        return f"{value:+.1f} {shown}"
    return f"{value:.2f} ({shown})"


def targets_table(runner: Runner, scenarios: Sequence[str]) -> list[str]:
    """One row per target of the scenarios run: value, limit, PASS or FAIL."""
    lines = ["| target | value | limit | result |", "|---|---|---|---|"]
    official = next((c for c in runner.clients if c.name == "official"), None)
    official_ok = official is not None and official.available
    for t in targets(runner.sizes):
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
        lines.append(
            f"| {t.title} | {_shown(value, t.shown)} | {limit} | {'PASS' if ok else 'FAIL'} |"
        )
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
    return lines


def notes(runner: Runner, started: float, load: tuple[float, ...]) -> list[str]:
    """The run's conditions (mode, machine, load, rounds), starved clients and failures."""
    sizes = runner.sizes
    mode = (
        "warm: each worker ran one simple turn before measuring"
        if runner.args.warm
        else "cold: every worker is a fresh process that measures its first turns (no warm-up)"
    )
    out = [
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
    out += [f"{c.name}: {c.note}." for c in runner.clients if c.note]
    starved = sorted(
        f"{scenario} / {name}"
        for scenario, cells in runner.results.items()
        for name, cell in cells.items()
        if any(v for k, v in cell.metrics.items() if k.endswith("_capped"))
    )
    if starved:
        out.append(
            f"Starved (a sample hit the {sizes.starved_cap_s:g} s cap, so that client "
            f"was measured in one round only): {', '.join(starved)}."
        )
    errors = [
        f"- {scenario} / {name}: {err}"
        for scenario, cells in runner.results.items()
        for name, cell in cells.items()
        for err in cell.errors[:2]
    ]
    if errors:
        out += ["", "Failures:", *errors]
    return out


def report(
    runner: Runner, scenarios: Sequence[str], started: float, load: tuple[float, ...]
) -> str:
    lines = measures_table(runner, scenarios)
    lines += ["", *targets_table(runner, scenarios)]
    return "\n".join(lines + notes(runner, started, load))
