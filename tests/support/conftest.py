"""Fixtures for the fake app-server's own tests: fakes that are closed afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .fake_pipes import Fake


@pytest.fixture
def start() -> Iterator[Callable[..., Fake]]:
    fakes: list[Fake] = []

    def _start(*scenarios: str, **kwargs: Any) -> Fake:
        fake = Fake(*scenarios, **kwargs)
        fakes.append(fake)
        return fake

    yield _start
    for fake in fakes:
        fake.close()


@pytest.fixture
def fake(start: Callable[..., Fake]) -> Fake:
    fake = start()
    fake.initialize()
    return fake
