"""The declarations cover every client method; docs/protocol-coverage.md says the same."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from codex_app_server import InvalidRequestError
from codex_app_server.generated import v2_all
from codex_app_server.generated.protocol_registry import CLIENT_REQUESTS

from .harness import ACCEPTED, FAILS, VERIFIED, Env

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[3] / "docs" / "protocol-coverage.md"


def _import_the_method_tests() -> None:
    """Import every test module of this package, so that their declarations are registered
    when this module runs alone too (pytest imports each module once, under the same name)."""
    for module in sorted(Path(__file__).parent.glob("test_*.py")):
        importlib.import_module(f"{__package__}.{module.stem}")


_import_the_method_tests()


# -- the escape hatch ---------------------------------------------------------------------------


def test_generic_request_is_the_escape_hatch(env: Env) -> None:
    client = env.client
    raw = client.request("thread/turns/list", {"threadId": env.thread_id})
    assert [t["id"] for t in raw["data"]] == env.turn_ids[::-1]
    typed = client.request(
        "thread/turns/list", {"threadId": env.thread_id}, v2_all.ThreadTurnsListResponse
    )
    assert [t.id for t in typed.data] == env.turn_ids[::-1]
    model_params = v2_all.ThreadGoalGetParams(thread_id=env.thread_id)
    assert client.request("thread/goal/get", model_params) == {"goal": None}
    with pytest.raises(InvalidRequestError, match="unknown variant"):
        client.request("no/such/method", {})


# -- coverage -----------------------------------------------------------------------------------


def test_every_method_is_covered() -> None:
    methods = set(CLIENT_REQUESTS) - {"initialize"}
    assert len(methods) == 171
    declared = [set(VERIFIED), set(ACCEPTED), set(FAILS)]
    assert not (declared[0] & declared[1]) and not (declared[0] & declared[2])
    assert not (declared[1] & declared[2])
    assert set().union(*declared) == methods, sorted(methods - set().union(*declared))


def docs_rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|\s*([a-z ]+?)\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_docs_table_matches() -> None:
    rows = docs_rows()
    expected = {m: "verified" for m in VERIFIED}
    expected.update({m: "accepted" for m in ACCEPTED})
    expected.update({m: "fails offline" for m in FAILS})
    assert rows == expected
