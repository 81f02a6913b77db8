"""`BatchProgress`: counts a batch reports to its `progress` callback."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BatchProgress:
    """A snapshot of a batch run.

    Attributes:
        total: tasks in the batch (skipped ones included).
        skipped: tasks already done in the results file (resume).
        completed: tasks that completed in this run.
        failed: tasks that did not complete (failed, interrupted or timed out).
        running: tasks running now.
        elapsed: seconds since the run started.
    """

    total: int
    skipped: int = 0
    completed: int = 0
    failed: int = 0
    running: int = 0
    elapsed: float = 0.0

    @property
    def done(self) -> int:
        """Tasks finished, skipped ones included."""
        return self.skipped + self.completed + self.failed

    @property
    def rate(self) -> float:
        """Tasks finished per second in this run."""
        finished = self.completed + self.failed
        return finished / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first result)."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass
class ProgressCounter:
    """The mutable counts behind `BatchProgress` snapshots."""

    total: int
    skipped: int = 0
    completed: int = 0
    failed: int = 0
    running: int = 0
    started: float = field(default_factory=time.monotonic)

    def snapshot(self) -> BatchProgress:
        return BatchProgress(
            total=self.total,
            skipped=self.skipped,
            completed=self.completed,
            failed=self.failed,
            running=self.running,
            elapsed=time.monotonic() - self.started,
        )
