"""docs/reliability.md backs each guarantee with a named test: those tests must exist."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "reliability.md"


def test_every_test_the_reliability_doc_names_exists() -> None:
    named = set(re.findall(r"`(test_\w+)`", DOC.read_text(encoding="utf-8")))
    defined = {
        match
        for path in HERE.glob("test_*.py")
        for match in re.findall(r"^(?:async )?def (test_\w+)", path.read_text(), re.MULTILINE)
    }
    assert len(named) > 40
    assert named <= defined, f"named in docs/reliability.md but not defined: {named - defined}"
