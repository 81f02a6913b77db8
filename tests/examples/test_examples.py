"""Every example runs, offline, against the scripted model and the real app-server.

Convention (see examples/_offline.py): `examples/NN_topic/sync.py` and `async.py` each
define `main(config: AppServerConfig | None = None)` (async in async.py) and
`script(model: ScriptedModel)`, which enqueues the replies `main` needs offline (a
hand-written sync.py may leave it out to use its async.py's).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from codex_app_server.testing import ScriptedModel

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FILES = sorted(
    [*EXAMPLES.glob("[0-9]*/sync.py"), *EXAMPLES.glob("[0-9]*/async.py")],
    key=lambda p: (p.parent.name, p.name),
)

#: What some examples must print, in this order (others: that they print something).
EXPECTED: dict[str, list[str]] = {
    "01_quickstart": [
        "answer: Hello! I'm Codex, ready to help with your code.",
        "tokens used: ",
        "items: ['userMessage', 'agentMessage']",
    ],
    "02_streaming": [
        "[thinking] A definition plus the base case covers it.",
        "[answer] Recursion is when a function calls itself on a smaller piece of the problem. "
        "It stops at a base case simple enough to answer directly.\n",
        "[usage] ",
        "[turn completed]",
        "[short] Functions calling themselves, smaller.",
    ],
    "03_concurrent_turns": [
        "What is 6 times 7? -> Six times seven is 42.",
        "Which is the largest planet? -> Jupiter is the largest planet.",
        "What is 'stressed' spelled backwards? -> Backwards, 'stressed' is 'desserts'.",
        " turns in ",
    ],
    "04_approvals": [
        "[audit] thread asks to run ",
        "[client-wide] accept ",
        "[client-wide] no opinion on ",
        "'ls -a' -> completed",
        "'rm -rf build' -> declined",
    ],
    "07_errors_and_retry": [
        "attempt 1: turn failed: turn ",
        "503 Service Unavailable",
        "attempt 2: Failed once, then fine:",
        "rejected: InvalidRequestError (code -32600): no rollout found",
        "retry_on_overload: Busy server, calm code:",
        "no runtime: CodexNotFoundError",
    ],
    "08_resume_and_fork": [
        "original: Noted.",
        "resumed:  The code word is pelican.",
        "fork:     Noted.",
        "fork:     The code word is albatross.",
        "original: The code word is pelican.",
        ": 3 turns",
        ": 4 turns",
    ],
}


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The offline runner (examples/_offline.py): how it finds an example's `script`.
OFFLINE = load(EXAMPLES / "_offline.py")


def test_the_examples_are_there() -> None:
    topics = {p.parent.name for p in FILES}
    assert set(EXPECTED) <= topics
    for topic in topics:
        assert (EXAMPLES / topic / "sync.py").is_file(), f"{topic} has no sync.py"
        assert (EXAMPLES / topic / "async.py").is_file(), f"{topic} has no async.py"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_runs_offline(
    path: Path,
    scripted_model: ScriptedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load(path)
    is_async = path.name == "async.py"
    assert inspect.iscoroutinefunction(module.main) is is_async
    parameter = inspect.signature(module.main).parameters["config"]
    assert parameter.default is None
    assert 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")

    OFFLINE.script_of(path, module)(scripted_model)
    config = scripted_model.config(tmp_path)
    if is_async:
        asyncio.run(module.main(config))
    else:
        assert module.main(config) is None

    printed = capsys.readouterr().out
    assert printed.strip(), "the example printed nothing"
    assert scripted_model.errors == []
    assert scripted_model.unexpected_requests == 0, "a model request had no scripted reply"
    assert scripted_model.pending_replies == 0, "script() enqueued replies main() never used"
    position = 0
    for text in EXPECTED.get(path.parent.name, []):
        found = printed.find(text, position)
        assert found >= 0, f"{text!r} not printed (in order) by {path}:\n{printed}"
        position = found + len(text)


def test_a_sync_example_without_script_uses_its_async_script(tmp_path: Path) -> None:
    (tmp_path / "async.py").write_text("def script(model):\n    return 'from async.py'\n")
    (tmp_path / "sync.py").write_text("def main(config=None):\n    pass\n")
    sync = OFFLINE.load(tmp_path / "sync.py")
    assert OFFLINE.script_of(tmp_path / "sync.py", sync)(None) == "from async.py"
    (tmp_path / "async.py").write_text("async def main(config=None):\n    pass\n")
    with pytest.raises(AttributeError, match="defines no script"):
        OFFLINE.script_of(tmp_path / "async.py", OFFLINE.load(tmp_path / "async.py"))


def test_generated_sync_examples_are_current() -> None:
    """`sync.py` of a topic in scripts/unasync.py's EXAMPLES is what its async.py generates."""
    spec = importlib.util.spec_from_file_location("unasync", ROOT / "scripts" / "unasync.py")
    assert spec is not None and spec.loader is not None
    unasync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(unasync)
    assert unasync.EXAMPLES, "no example is generated"
    for topic in unasync.EXAMPLES:
        source, target = f"examples/{topic}/async.py", f"examples/{topic}/sync.py"
        text = (ROOT / target).read_text(encoding="utf-8")
        assert text.startswith("# Generated from async.py by scripts/unasync.py"), target
        assert "async" not in text.replace("async.py", ""), f"{target} still says async"
        assert text == unasync.generate(source, target), f"{target} is stale: scripts/unasync.py"


def test_offline_runner_runs_an_example_from_the_command_line() -> None:
    example = EXAMPLES / "01_quickstart" / "sync.py"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "_offline.py"), str(example)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "=== 01_quickstart/sync.py (offline)" in done.stdout
    assert "answer: Hello! I'm Codex" in done.stdout
