"""One measurement in a fresh process: `python -m benchmarks.worker SPEC.json OUT.json`.

SPEC names the client (`ours`, `raw`, `official`), the scenario, its sizes and how to
launch the app-server. The metrics (lists of samples) are written to OUT as JSON, then the
process exits at once (`os._exit`), so that no client's shutdown can stall the run.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


def _run(spec: dict[str, Any]) -> Any:
    client, scenario = spec["client"], spec["scenario"]
    if client == "raw":
        from . import raw_runner

        return raw_runner.run(scenario, spec["launch"], spec["params"])
    from . import sdk_runner

    return sdk_runner.run(client, scenario, spec["launch"], spec["params"])


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    profile_path = os.environ.get("BENCH_PROFILE", "")
    profiler = None
    if profile_path:  # `--profile DIR`: cProfile of this worker's main thread
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        payload: dict[str, Any] = {"ok": True, "metrics": _run(spec)}
    except BaseException as exc:
        payload = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-4000:],
        }
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_path)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(payload, f)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
