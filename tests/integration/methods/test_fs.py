"""File-system and file-search methods, through their typed wrappers."""

from __future__ import annotations

import base64

import pytest

from .harness import Env, covers

pytestmark = pytest.mark.integration


@covers(
    "fs/writeFile",
    "fs/readFile",
    "fs/getMetadata",
    "fs/createDirectory",
    "fs/copy",
    "fs/readDirectory",
    "fs/remove",
    "fs/watch",
    "fs/unwatch",
)
def test_file_system(env: Env) -> None:
    client, root = env.client, env.base / "fs"
    root.mkdir()
    client.fs_create_directory(path=str(root / "a" / "b"), recursive=True)
    data = base64.b64encode(b"\x00binary\xff").decode()
    client.fs_write_file(path=str(root / "a" / "b" / "f.bin"), data_base64=data)
    read = client.fs_read_file(path=str(root / "a" / "b" / "f.bin"))
    assert base64.b64decode(read.data_base64) == b"\x00binary\xff"
    meta = client.fs_get_metadata(path=str(root / "a" / "b" / "f.bin"))
    assert meta.is_file and not meta.is_directory
    client.fs_copy(source_path=str(root / "a"), destination_path=str(root / "c"), recursive=True)
    assert (root / "c" / "b" / "f.bin").read_bytes() == b"\x00binary\xff"
    entries = client.fs_read_directory(path=str(root)).entries
    assert sorted((e.file_name, e.is_directory) for e in entries) == [("a", True), ("c", True)]
    client.fs_remove(path=str(root / "c"), recursive=True)
    assert not (root / "c").exists()
    changes = env.keyed("fs/changed", ("watchId",), "w1")
    watched = client.fs_watch(path=str(root), watch_id="w1")
    assert watched.path == str(root)
    (root / "new.txt").write_text("x")
    change = changes.get(timeout=10)
    assert str(root / "new.txt") in change.params["changedPaths"]
    client.fs_unwatch(watch_id="w1")
    client.unsubscribe_keyed("fs/changed", ("watchId",), "w1")


@covers(
    "fuzzyFileSearch",
    "fuzzyFileSearch/sessionStart",
    "fuzzyFileSearch/sessionUpdate",
    "fuzzyFileSearch/sessionStop",
)
def test_fuzzy_file_search(env: Env) -> None:
    client, root = env.client, env.base / "search"
    root.mkdir()
    (root / "needle.txt").write_text("x")
    (root / "other.md").write_text("x")
    found = client.fuzzy_file_search(query="needl", roots=[str(root)])
    assert [f.path for f in found.files] == ["needle.txt"]
    updates = env.keyed("fuzzyFileSearch/sessionUpdated", ("sessionId",), "s1")
    client.fuzzy_file_search_session_start(session_id="s1", roots=[str(root)])
    client.fuzzy_file_search_session_update(session_id="s1", query="other")
    paths: list[str] = []
    while "other.md" not in paths:
        paths = [f["path"] for f in updates.get(timeout=10).params["files"]]
    client.fuzzy_file_search_session_stop(session_id="s1")
    client.unsubscribe_keyed("fuzzyFileSearch/sessionUpdated", ("sessionId",), "s1")
