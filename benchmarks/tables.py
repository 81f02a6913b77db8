"""What the report shows: its rows (one measure per row, every client side by side) and
the issue's targets (ratios or differences with a limit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .common import Sizes
from .runner import Cell


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


def _stat(name: str, stat: str = "median", scale: float = 1.0) -> Callable[[Cell], float | None]:
    """The `stat` ("median" or "max") of a metric's samples, times `scale`."""

    def value(cell: Cell) -> float | None:
        v = getattr(cell, stat)(name)
        return None if v is None else float(v) * scale

    return value


def _ms(name: str) -> Callable[[Cell], float | None]:
    return _stat(name, scale=1000)


def _max_ms(name: str) -> Callable[[Cell], float | None]:
    return _stat(name, "max", 1000)


def _med(name: str, scale: float = 1.0) -> Callable[[Cell], float | None]:
    return _stat(name, scale=scale)


def _wall_rss(scenario: str, title: str, capped: str | None = None) -> Row:
    """A "wall s / client RSS MB" row of a scenario whose every delta must arrive."""
    return Row(
        scenario,
        f"{title}: wall s / client RSS MB",
        _med("wall_s"),
        "{:.2f}",
        _med("rss_mb"),
        "{:.0f}",
        check="delivered",
        capped=capped,
    )


def _first_turn_rows(api: str, sizes: Sizes) -> list[Row]:
    """The first turn of a fresh process: wall (and its parts), and the client's CPU."""
    scenario = f"first_turn_{api}"
    return [
        Row(
            scenario,
            f"a fresh process's first turn ({sizes.first_turn_deltas} deltas), {api}: import "
            "+ spawn + initialize + turn + typed result, ms",
            _ms("total_s"),
            "{:.0f}",
        ),
        Row(
            scenario,
            f"  of which ({api}): import / spawn + initialize (the rest: thread, turn, "
            "typed result), ms",
            _ms("import_s"),
            "{:.0f}",
            _ms("spawn_s"),
            "{:.0f}",
        ),
        Row(
            scenario,
            f"  client CPU ({api}, every thread) over that first turn, ms",
            _ms("cpu_s"),
            "{:.0f}",
        ),
    ]


def rows(sizes: Sizes) -> list[Row]:
    return [
        Row("import", "`import` (cumulative, -X importtime), ms", _med("import_ms"), "{:.0f}"),
        Row("import", "`import codex_app_server` alone, ms", _med("import_root_ms"), "{:.0f}"),
        *_first_turn_rows("async", sizes),
        Row(
            "first_turn_async",
            "longest event-loop stall during that first turn (after the import), worst "
            "round: wall / loop busy (CPU), ms",
            _max_ms("stall_s"),
            "{:.1f}",
            _max_ms("busy_s"),
            "{:.1f}",
        ),
        *_first_turn_rows("sync", sizes),
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
        _wall_rss(
            "concurrent_async",
            f"{sizes.concurrent_async_turns} concurrent async turns "
            f"({sizes.concurrent_deltas} deltas each)",
        ),
        _wall_rss(
            "concurrent_sync",
            f"{sizes.concurrent_sync_threads} threads on one sync client "
            f"({sizes.concurrent_deltas} deltas each)",
        ),
        Row(
            "interrupt_async",
            f"interrupt -> completed while {sizes.interrupt_streams} turns stream "
            f"(a delta every {sizes.interrupt_delay_ms:g} ms each; async): median / max ms",
            _ms("latency_s"),
            "{:.0f}",
            _max_ms("latency_s"),
            "{:.0f}",
        ),
        Row(
            "interrupt_saturated_async",
            f"the same at a delta every {sizes.saturated_delay_ms:g} ms each (no target: "
            "at 32 streams the app-server itself needs most of 2 cores): median / max ms",
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
        _wall_rss(
            "many_async",
            f"{sizes.many_turns:,} concurrent async turns ({sizes.many_deltas} deltas each)",
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
            "many_async",
            "the same loop busy (CPU) besides the full (generation 2) collections the loop "
            "ran in it, worst round, ms",
            _max_ms("busy_besides_full_s"),
            "{:.1f}",
        ),
        Row(
            "many_async",
            "longest garbage collection during those turns (CPU), ms / full (generation 2) "
            "collections, worst round",
            _max_ms("gc_s"),
            "{:.1f}",
            _stat("gc_gen2", "max"),
            "{:.0f}",
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


@dataclass
class Target:
    title: str
    scenario: str
    compute: Callable[[dict[str, Cell]], float | None]
    limit: float
    kind: str  # "max" (value <= limit) or "min" (value >= limit)
    shown: str  # how the value is expressed
    needs_official: bool = False


def _pair(
    metric: Callable[[Cell], float | None], a: str, b: str, ratio: bool
) -> Callable[..., float | None]:
    """`metric` of client `a` over (ratio) or minus that of client `b`."""

    def compute(cells: dict[str, Cell]) -> float | None:
        x = metric(cells[a]) if a in cells else None
        y = metric(cells[b]) if b in cells else None
        if x is None or y is None or (ratio and y == 0):
            return None
        return x / y if ratio else x - y

    return compute


def _r(metric: Callable[[Cell], float | None], a: str, b: str) -> Callable[..., float | None]:
    return _pair(metric, a, b, ratio=True)


def _d(metric: Callable[[Cell], float | None], a: str, b: str) -> Callable[..., float | None]:
    return _pair(metric, a, b, ratio=False)


def _v(metric: Callable[[Cell], float | None]) -> Callable[..., float | None]:
    return lambda cells: metric(cells["ours"]) if "ours" in cells else None


def _vs_official(
    title: str, scenario: str, metric: Callable[[Cell], float | None], limit: float
) -> Target:
    """Ours over the official client's, at most `limit`."""
    return Target(
        title,
        scenario,
        _r(metric, "ours", "official"),
        limit,
        "max",
        "ours/official",
        needs_official=True,
    )


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
        _vs_official(
            "import time <= 1/5 of the official package's", "import", _med("import_ms"), 0.2
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
        _vs_official(
            "async stream: <= 1/2 the official client CPU per notification",
            "stream_async",
            _med("cpu_per_10k"),
            0.5,
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
