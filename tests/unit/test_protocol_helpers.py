"""The pure parts of the protocol helpers: paging, params shaping, output chunks."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from codex_app_server import CodexError, CommandOutput
from codex_app_server._async.paging import iter_pages as aiter_pages
from codex_app_server._protocol.commands import command_params, new_process_id
from codex_app_server._protocol.fs import abs_path, decode_data, encode_data
from codex_app_server._protocol.params import config_edits, review_target, rollback_target
from codex_app_server._sync.paging import iter_pages
from codex_app_server.generated import v2_all


@dataclass
class Page:
    data: list[Any]
    next_cursor: str | None = None


@dataclass
class Pages:
    """Serves `pages` by cursor ("0" is the first) and records the cursors asked for."""

    pages: list[Page]
    asked: list[str | None] = field(default_factory=list)

    def fetch(self, cursor: str | None) -> Page:
        self.asked.append(cursor)
        return self.pages[int(cursor or 0)]


def test_iter_pages_follows_cursors_lazily() -> None:
    pages = Pages([Page([1, 2], "1"), Page([3], "2"), Page([4], None)])
    items = iter_pages(pages.fetch)
    assert next(items) == 1
    assert pages.asked == [None]  # the next page is fetched only when needed
    assert list(items) == [2, 3, 4]
    assert pages.asked == [None, "1", "2"]


def test_iter_pages_goes_on_past_an_empty_page() -> None:
    pages = Pages([Page([], "1"), Page([5], "")])
    assert list(iter_pages(pages.fetch)) == [5]


def test_a_repeated_cursor_is_an_error_not_a_loop() -> None:
    pages = Pages([Page([1], "1"), Page([2], "1")])
    with pytest.raises(CodexError, match="repeated the page cursor"):
        list(iter_pages(pages.fetch))


def test_aiter_pages() -> None:
    pages = Pages([Page(["a"], "1"), Page(["b"], None)])

    async def fetch(cursor: str | None) -> Page:
        return pages.fetch(cursor)

    async def collect() -> list[Any]:
        return [item async for item in aiter_pages(fetch)]

    assert asyncio.run(collect()) == ["a", "b"]


def test_command_params() -> None:
    params = command_params(
        ["ls", "-l"],
        process_id="p1",
        stream=True,
        stdin=True,
        tty=True,
        size=(24, 80),
        cwd="/tmp",
        timeout_ms=5,
        disable_output_cap=None,
        sandbox_policy={"type": "dangerFullAccess"},
    )
    assert params == {
        "command": ["ls", "-l"],
        "processId": "p1",
        "streamStdoutStderr": True,
        "streamStdin": True,
        "tty": True,
        "size": {"rows": 24, "cols": 80},
        "cwd": "/tmp",
        "timeoutMs": 5,
        "sandboxPolicy": {"type": "dangerFullAccess"},
    }
    assert command_params(["true"]) == {"command": ["true"]}
    v2_all.CommandExecParams.model_validate(params)  # the shape the schema wants
    with pytest.raises(TypeError):
        command_params("ls -l")
    assert new_process_id() != new_process_id()


def test_command_output_chunks() -> None:
    chunk = CommandOutput.from_params(
        {"stream": "stderr", "deltaBase64": encode_data("é"), "capReached": True}
    )
    assert chunk == CommandOutput("stderr", "é".encode(), True)
    assert chunk.text == "é"
    assert CommandOutput("stdout", b"\xff").text == "\ufffd"


def test_files_data_and_paths() -> None:
    assert decode_data(encode_data(b"\x00\xff")) == b"\x00\xff"
    assert decode_data(encode_data("é", "latin-1")) == b"\xe9"
    assert abs_path("x") == os.path.join(os.getcwd(), "x")
    assert abs_path("/a/../b") == "/b"


def test_review_targets() -> None:
    assert review_target(None) == {"type": "uncommittedChanges"}
    assert review_target("be strict") == {"type": "custom", "instructions": "be strict"}
    commit = v2_all.CommitReviewTarget(sha="abc", type="commit")
    assert review_target(commit) == {"sha": "abc", "type": "commit"}
    assert review_target({"type": "baseBranch", "branch": "main"})["branch"] == "main"


def test_config_edits() -> None:
    assert config_edits({"a.b": 1, "c": [True]}, "upsert") == [
        {"keyPath": "a.b", "value": 1, "mergeStrategy": "upsert"},
        {"keyPath": "c", "value": [True], "mergeStrategy": "upsert"},
    ]
    edit = v2_all.ConfigEdit(key_path="x", value=2, merge_strategy=v2_all.MergeStrategy("replace"))
    assert config_edits([edit], "ignored") == [
        {"keyPath": "x", "value": 2, "mergeStrategy": "replace"}
    ]


def test_rollback_target() -> None:
    newest_first = ["t3", "t2", "t1"]
    assert rollback_target(newest_first, 1) == "t3"
    assert rollback_target(newest_first, 3) == "t1"
    with pytest.raises(ValueError, match="cannot roll back 4"):
        rollback_target(newest_first, 4)
    with pytest.raises(ValueError, match="at least 1"):
        rollback_target(newest_first, 0)
