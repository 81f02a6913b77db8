"""docs/api-reference.md documents every public name, and every public member of each.

Computed from the code at test time, so a name or method added to the package without
documentation fails here:

- every name in `codex_app_server.__all__` and `codex_app_server.testing.__all__`, and the
  pytest fixtures of `codex_app_server.testing.pytest_plugin`, appears in backticks;
- for each public class with members, every public method, property and dataclass field
  it defines (in this package's own code, not in the generated models) appears in a
  section whose heading names the class.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from types import ModuleType

import pytest

import codex_app_server
import codex_app_server.testing
from codex_app_server.testing import pytest_plugin
from tests.docs.markdown import DOCS

REFERENCE = DOCS / "api-reference.md"
MODULES: list[ModuleType] = [codex_app_server, codex_app_server.testing]


def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def public_names() -> list[tuple[str, str]]:
    names = [(module.__name__, name) for module in MODULES for name in module.__all__]
    names += [(pytest_plugin.__name__, name) for name in pytest_plugin.__all__]
    return names


def mentioned(name: str, text: str) -> bool:
    """`name` in backticks (`name`, `name(...)`, `x.name`, ...), in a heading, or as a word
    in a fenced code block."""
    if re.search(rf"`(?:[\w.]*\.)?{re.escape(name)}(?![\w])", text):
        return True
    word = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif (in_code or line.startswith("#")) and word.search(line):
            return True
    return False


def sections(text: str) -> list[tuple[str, str]]:
    """`(heading, body)` for every heading, the body running to the next heading of the
    same or a higher level (so a section includes its subsections)."""
    lines = text.splitlines()
    heads = [
        (i, len(m.group(1)), m.group(2))
        for i, line in enumerate(lines)
        if (m := re.match(r"^(#{1,6})\s+(.*)$", line))
    ]
    found = []
    for n, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1 :] if lv <= level), len(lines))
        found.append((title, "\n".join(lines[i + 1 : end])))
    return found


def class_sections(text: str, name: str) -> str:
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])")
    return "\n".join(body for title, body in sections(text) if word.search(title))


def own_members(cls: type) -> list[str]:
    """Public methods, properties and dataclass fields defined by the package itself."""
    members: dict[str, None] = {}
    for klass in cls.__mro__:
        module = getattr(klass, "__module__", "")
        if not module.startswith("codex_app_server") or ".generated" in module:
            continue
        if issubclass(klass, BaseException):
            continue
        for attr, value in vars(klass).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, (property, classmethod, staticmethod)) or callable(value):
                members[attr] = None
        if dataclasses.is_dataclass(klass):
            for f in dataclasses.fields(klass):
                if not f.name.startswith("_"):
                    members[f.name] = None
    return list(members)


def public_classes() -> list[tuple[str, type]]:
    classes = []
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and obj.__module__.startswith("codex_app_server")
                and ".generated" not in obj.__module__
                and name == obj.__name__
                and own_members(obj)
            ):
                classes.append((name, obj))
    return classes


def test_the_reference_exists_and_covers_the_core() -> None:
    text = reference()
    for name in ("Codex", "AsyncCodex", "Thread", "TurnHandle", "AppServerConfig", "ScriptedModel"):
        assert class_sections(text, name), f"no section for {name}"


@pytest.mark.parametrize(("module", "name"), public_names(), ids=lambda v: str(v))
def test_every_public_name_is_documented(module: str, name: str) -> None:
    assert mentioned(name, reference()), f"{module}.{name} is not in docs/api-reference.md"


@pytest.mark.parametrize(("name", "cls"), public_classes(), ids=lambda v: str(v))
def test_every_public_member_is_documented(name: str, cls: type) -> None:
    body = class_sections(reference(), name)
    assert body, f"docs/api-reference.md has no section whose heading names {name}"
    missing = [member for member in own_members(cls) if not mentioned(member, body)]
    assert not missing, f"{name}: undocumented in its section(s): {missing}"


def test_the_checks_can_fail() -> None:
    text = "## Foo and Bar\n- `alpha(x)`: a\n### Bar details\n- `Bar.beta`\n## Baz\n`gamma`"
    assert class_sections(text, "Bar").count("alpha") == 1
    assert "gamma" not in class_sections(text, "Foo")
    assert mentioned("Bar", text) and mentioned("alpha", text)
    assert mentioned("x", "```python\nfrom m import x\n```")
    assert not mentioned("x", "from m import x")
    assert mentioned("beta", class_sections(text, "Bar"))
    assert not mentioned("gamma", class_sections(text, "Foo"))
    assert not mentioned("alp", text)
