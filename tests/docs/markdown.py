"""Read the fenced code blocks of the Markdown docs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: Put this on the line before a block that must not be executed (it is still compiled).
FRAGMENT = "<!-- fragment -->"

_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    fragment: bool

    @property
    def file_name(self) -> str | None:
        """`NAME` when the block starts with `# file: NAME`."""
        first = self.code.split("\n", 1)[0]
        match = re.fullmatch(r"#\s*file:\s*(\S+)", first.strip())
        return match.group(1) if match else None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path, lang: str | None = "python") -> list[Block]:
    """The fenced blocks of `path` (only those in `lang`, unless None)."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        start, block_lang = i, match.group(1)
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        previous = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        if lang is None or block_lang == lang:
            found.append(
                Block(
                    path,
                    start + 1,
                    block_lang,
                    "\n".join(body) + "\n",
                    previous.strip() == FRAGMENT,
                )
            )
    return found


def all_doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
