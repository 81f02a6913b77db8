"""Second pass (issue 17, items 3 and 6): Ctrl-C anywhere in a sync run() leaves no turn
running; a second turn/start that the server folds into the running turn (same turn id)
never leaves a reader waiting forever."""

from __future__ import annotations

import _thread
import queue
import random
import threading

from codex_app_server import Codex
from codex_app_server._protocol.router import MessageRouter

from .conftest import fake_config, wait_for


def test_ctrl_c_at_a_random_moment_of_sync_run_leaves_no_turn_running() -> None:
    rng = random.Random(17)
    with Codex(fake_config()) as codex:
        thread = codex.thread_start()
        interrupted = 0
        for _ in range(12):
            timer = threading.Timer(rng.uniform(0.0, 0.06), _thread.interrupt_main)
            timer.start()
            try:
                try:
                    thread.run("DELTAS:40 DELAY_MS:2 interrupted somewhere")
                finally:
                    timer.cancel()
                    timer.join()  # a Ctrl-C that fired meanwhile lands in this try
            except KeyboardInterrupt:
                interrupted += 1
            wait_for(
                lambda: codex.client.request("fake/state")["activeTurns"] == [],
                timeout=3.0,
                what="no turn left running on the server",
            )
        assert interrupted > 0, "no run was interrupted: the test saw no Ctrl-C"


def test_a_turn_start_answered_with_the_running_turns_id_keeps_the_first_subscription() -> None:
    router = MessageRouter(queue.SimpleQueue(), queue.SimpleQueue())
    first_sink: queue.SimpleQueue[object] = queue.SimpleQueue()
    second_sink: queue.SimpleQueue[object] = queue.SimpleQueue()
    slot1: queue.SimpleQueue[object] = queue.SimpleQueue()
    slot2: queue.SimpleQueue[object] = queue.SimpleQueue()
    one = router.new_request("turn/start", {}, slot1, turn_sink=first_sink)
    two = router.new_request("turn/start", {}, slot2, turn_sink=second_sink)
    turn = {"turn": {"id": "t1", "status": "inProgress"}}
    router.route({"id": one["id"], "result": turn})
    router.route({"id": two["id"], "result": turn})  # the same id: the input was merged
    assert router.turn_sink("t1") is first_sink
    done = router.route(
        {"method": "turn/completed", "params": {"threadId": "x", "turn": {"id": "t1"}}}
    )
    assert isinstance(done, list) and [sink for sink, _ in done] == [first_sink]
