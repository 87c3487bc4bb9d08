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

# scripts/test exports DOCKLINE_TEST_RUN and ends with `scripts/testbed down --run <it>`: only
# objects labelled with this run (test_labels) are swept, never a demo or another run.
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


# --------------------------------------------------------------------------- tool audit
# Every program a test starts must come from scripts/test (see tests/toolaudit.py).
import toolaudit  # tests/ is on sys.path (rootdir conftest)

_AUDIT = toolaudit.Audit()


def pytest_configure(config: pytest.Config) -> None:
    _AUDIT.install()


def pytest_runtest_setup(item: pytest.Item) -> None:
    _AUDIT.test = item.nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _AUDIT.active = False
    manifest_path = os.environ.get(toolaudit.MANIFEST_ENV)
    if not manifest_path:
        return
    with open(manifest_path, encoding="utf-8") as f:
        manifest = toolaudit.read_manifest(f.read())
    bad = toolaudit.violations(_AUDIT.uses, manifest, toolaudit.allowed_roots())
    session.config.stash[_BAD_TOOLS] = bad
    if bad and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BAD_TOOLS = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    bad = terminalreporter.config.stash.get(_BAD_TOOLS, [])
    if not os.environ.get(toolaudit.MANIFEST_ENV):
        return
    used = sorted({u.path for u in _AUDIT.uses if u.path})
    terminalreporter.write_line(f"tool audit: {len(used)} programs started by tests: {' '.join(used)}")
    for u in bad:
        terminalreporter.write_line(
            f"tool audit: FAILED: {u.test} ran {u.name} ({u.path}), which scripts/test did not "
            f"install or declare (add it to scripts/test)", red=True)
