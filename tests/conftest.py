"""Shared fixtures.

Integration tests (markers ``docker`` / ``swarm``) get a connected engine. When no engine
answers they FAIL with the reason (never skip): CI brings the engine up with
``scripts/testbed up`` before pytest runs, so an absent engine is a real failure.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

RUN_ID = os.environ.get("DOCKLINE_TEST_RUN") or uuid.uuid4().hex[:8]
_counter = itertools.count()


@pytest.fixture(scope="session")
def run_id() -> str:
    """Identifies this pytest run on every object it creates."""
    return RUN_ID


@pytest.fixture(scope="session")
def test_labels() -> dict[str, str]:
    """Labels to put on everything a test creates."""
    return {"dockline.test": "1", "dockline.test.run": RUN_ID}


@pytest.fixture()
def unique_name() -> Callable[[str], str]:
    """Factory of short unique names: ``unique_name("web")`` -> ``web-1a2b3c4d-7``."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{RUN_ID[:6]}{next(_counter)}"

    return make


@pytest.fixture(scope="session")
def engine() -> Iterator[object]:
    """A connected ``dockline.engine.Engine``; fails (not skips) without one."""
    from dockline.engine import Engine
    from dockline.errors import DocklineError

    try:
        eng = Engine.connect()
        eng.info()
    except DocklineError as e:
        pytest.fail(f"no Docker engine: {e.message} ({e.hint}); run `scripts/testbed up`", pytrace=False)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def swarm(engine: object) -> object:
    """The engine, required to be a swarm manager."""
    from dockline.errors import DocklineError

    try:
        engine.require_manager()  # type: ignore[attr-defined]
    except DocklineError as e:
        pytest.fail(f"not a swarm manager: {e.message} ({e.hint}); run `scripts/testbed up`", pytrace=False)
    return engine
