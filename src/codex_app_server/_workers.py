"""`HandlerPool`: the worker threads that run sync server-request handlers.

Two rules the standard `ThreadPoolExecutor` breaks here:

* a handler that never returns must not keep the Python process alive after `close()`:
  the workers are daemon threads (the executor's are joined at interpreter exit);
* handlers may be re-entrant (an approval handler that runs a nested turn, whose own
  approval needs a worker too): the pool never makes a request wait for a free worker.
  An idle worker is reused; when every worker is busy, a new one starts. Each request is
  bounded by `server_request_timeout` anyway, and idle workers exit after `IDLE_EXIT`.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds an idle worker waits for more work before it exits.
IDLE_EXIT = 30.0


class HandlerPool(Executor):
    """An elastic pool of daemon worker threads that never queues work behind busy ones."""

    def __init__(self, name: str = "codex-server-request", idle_exit: float = IDLE_EXIT) -> None:
        self._name = name
        self._idle_exit = idle_exit
        self._cond = threading.Condition(threading.Lock())
        self._work: deque[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = deque()
        self._idle = 0
        self._threads: set[threading.Thread] = set()
        self._shutdown = False
        self._count = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run `fn(*args, **kwargs)` on a worker now; `RuntimeError` after `shutdown()`."""
        future: Future[T] = Future()
        call = (lambda: fn(*args, **kwargs)) if kwargs else fn
        with self._cond:
            if self._shutdown:
                raise RuntimeError("the handler pool is shut down")
            self._work.append((future, call, () if kwargs else args))
            if self._idle >= len(self._work):
                self._cond.notify()
                return future
            self._count += 1
            thread = threading.Thread(
                target=self._worker, name=f"{self._name}-{self._count}", daemon=True
            )
            self._threads.add(thread)
        thread.start()
        return future

    def _worker(self) -> None:
        current = threading.current_thread()
        try:
            while True:
                with self._cond:
                    while not self._work and not self._shutdown:
                        self._idle += 1
                        try:
                            woke = self._cond.wait(self._idle_exit)
                        finally:
                            self._idle -= 1
                        if not woke and not self._work:
                            return
                    if not self._work:
                        return
                    future, call, args = self._work.popleft()
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = call(*args)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                del future, call, args
        finally:
            with self._cond:
                self._threads.discard(current)

    @property
    def threads(self) -> list[threading.Thread]:
        """The live workers (busy or idle)."""
        with self._cond:
            return list(self._threads)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new work; idle workers exit. `wait` joins them (a hung one: bounded, 0.1 s)."""
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                while self._work:
                    future, _, _ = self._work.popleft()
                    future.cancel()
            self._cond.notify_all()
            threads = list(self._threads)
        if wait:
            current = threading.current_thread()
            for thread in threads:
                if thread is not current:
                    with contextlib.suppress(RuntimeError):
                        thread.join(timeout=0.1)
