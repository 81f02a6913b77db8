"""The docs are tested: their code compiles, imports real names, and runs offline.

- Every ```python block of README.md and docs/*.md compiles, and every name it imports
  from `codex_app_server` exists.
- The blocks of README.md, getting-started.md and faq.md run, in order, against the real
  app-server with the scripted model standing in for the API (`Codex()` finds the offline
  CODEX_HOME through the `CODEX_HOME` environment variable), except those marked
  `<!-- fragment -->`.
- testing.md's files (`# file: NAME`) and test functions run under pytest, in a
  subprocess, exactly as a user would run them.
- The README's transcript of `codex-py demo` matches what the demo prints.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel
from tests.docs.markdown import DOCS, ROOT, Block, all_doc_files, blocks

ALL_BLOCKS = [b for path in all_doc_files() for b in blocks(path)]
RUN_FILES = [ROOT / "README.md", DOCS / "getting-started.md", DOCS / "faq.md"]
RUN_BLOCKS = [b for path in RUN_FILES for b in blocks(path) if not b.fragment]


def test_there_are_docs_to_test() -> None:
    for name in ("getting-started.md", "api-reference.md", "faq.md", "testing.md"):
        assert (DOCS / name).is_file(), name
    assert len(RUN_BLOCKS) >= 5
    assert any(b.file_name for b in blocks(DOCS / "testing.md"))


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: b.id)
def test_python_blocks_compile_and_import_real_names(block: Block) -> None:
    tree = ast.parse(block.code, filename=block.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("codex_app_server"):
            assert node.module is not None
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{block.id}: {node.module} has no {alias.name}"


# --------------------------------------------------------------------------- running blocks


#: Prompts of the docs for which the scripted model does more than answer: it runs a
#: command first (so that approval handlers in the docs really get a request).
COMMANDS = {"List the files here.": "ls"}


def _answer(request: RecordedRequest) -> Reply:
    command = COMMANDS.get(request.last_user_text or "")
    if command is not None and not request.function_call_outputs:
        return Reply.shell(command)
    return Reply.text(f"(scripted answer to: {request.last_user_text})", deltas=3, usage=True)


@pytest.fixture
def offline_home(
    scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ScriptedModel]:
    """`Codex()` with no arguments talks to the scripted model: CODEX_HOME and the offline
    environment are set in os.environ, which the app-server inherits."""
    scripted_model.respond_with(_answer)
    config = scripted_model.config(tmp_path)
    monkeypatch.setenv("CODEX_HOME", os.fspath(config.codex_home or ""))
    for key, value in (config.env or {}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(config.cwd or tmp_path)
    levels = {name: logging.getLogger(name).level for name in _sdk_loggers()}
    yield scripted_model
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _sdk_loggers() -> list[str]:
    return ["codex_app_server", "codex_app_server.wire", "codex_app_server.stderr"]


@pytest.mark.integration
@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: b.id)
def test_doc_block_runs_offline(block: Block, offline_home: ScriptedModel) -> None:
    code = compile(block.code, block.id, "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"__name__": "__doc_block__"})
    assert offline_home.errors == []
    assert offline_home.unexpected_requests == 0
    for request in offline_home.requests:  # commands the docs approve really ran
        for output in request.function_call_outputs:
            assert "rejected" not in output["output"], output
    if any(prompt in block.code for prompt in COMMANDS):
        assert any(r.function_call_outputs for r in offline_home.requests)


# --------------------------------------------------------------------------- testing.md


@pytest.mark.integration
def test_testing_guide_runs_under_pytest(tmp_path: Path) -> None:
    """testing.md's example files and test functions pass when run with pytest."""
    tests = 0
    scripts: list[Block] = []
    for i, block in enumerate(blocks(DOCS / "testing.md")):
        name = block.file_name
        if name is None and "def test_" in block.code:
            name = f"test_doc_block_{i}.py"
        if name is None:
            scripts.append(block)
            continue
        (tmp_path / name).write_text(block.code, encoding="utf-8")
        tests += block.code.count("\ndef test_") + block.code.count("\nasync def test_")
        tests += block.code.startswith(("def test_", "async def test_"))
    assert tests >= 5
    env = {k: v for k, v in os.environ.items() if k != "CODEX_HOME"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(rf"\b{tests} passed\b", done.stdout), done.stdout
    assert "skipped" not in done.stdout

    for block in scripts:  # the snippets that are not tests run as plain scripts
        ran = subprocess.run(
            [sys.executable, "-c", block.code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, f"{block.id}:\n{ran.stderr}"


# --------------------------------------------------------------------------- README demo


def _normalize(text: str) -> list[str]:
    text = re.sub(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "ID", text)
    text = re.sub(r"\d[\d,.]*", "N", text)
    # A command's duration may show ("exit 0, 12 ms"); the comma folds into the number.
    text = re.sub(r"\[run\] exit N,? N ms", "[run] exit N", text)
    return [line.rstrip() for line in text.strip().splitlines()]


@pytest.mark.integration
def test_readme_shows_what_the_demo_prints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    transcript = next(b for b in blocks(ROOT / "README.md", "text") if "[demo]" in b.code)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    done = subprocess.run(
        [sys.executable, "-m", "codex_app_server", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, as on a terminal
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
    assert _normalize(done.stdout) == _normalize(transcript.code)
    assert "scripts/demo" in readme and "scripts/test" in readme


def test_readme_commands_exist() -> None:
    for script in ("scripts/demo", "scripts/test"):
        path = ROOT / script
        assert path.is_file() and os.access(path, os.X_OK), script
    assert "demo" in (ROOT / "scripts" / "demo").read_text()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_markdown_links_point_at_files() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for path in all_doc_files():
        for target in link.findall(path.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            resolved = (path.parent / target).resolve()
            assert resolved.exists(), f"{path.relative_to(ROOT)} links to missing {target}"


def test_fragment_marker_is_used_sparingly() -> None:
    fragments = [b.id for b in ALL_BLOCKS if b.fragment]
    assert len(fragments) <= 3, textwrap.shorten(", ".join(fragments), 200)
