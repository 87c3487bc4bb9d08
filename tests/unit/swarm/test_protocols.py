"""The capability Protocols and the real engine agree (mypy proves the signatures through
``dockline/engine/conformance.py``; this checks at run time that nothing was left out), and
the engine package keeps its private-SDK calls in the one commented place."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from dockline.swarm import protocols

ENGINE_DIR = Path(__file__).parents[3] / "src" / "dockline" / "engine"


def _protocols() -> list[type]:
    return [obj for _, obj in inspect.getmembers(protocols, inspect.isclass)
            if obj.__module__ == protocols.__name__ and getattr(obj, "_is_protocol", False)]


def _members(proto: type) -> set[str]:
    return {n for c in proto.__mro__ if c.__module__ == protocols.__name__ for n in vars(c)
            if not n.startswith("_") and callable(vars(c)[n])}


@pytest.mark.parametrize("proto", _protocols(), ids=lambda p: p.__name__)
def test_engine_has_every_method_of(proto: type) -> None:
    from dockline.engine import Engine

    if proto is protocols.EventStream:
        from dockline.engine import EventSubscription as impl
    else:
        impl = Engine
    assert _members(proto) or proto is protocols.EventStream, proto
    for name in _members(proto):
        assert callable(getattr(impl, name, None)), f"{impl.__name__} lacks {proto.__name__}.{name}"
        wanted = [p for p in inspect.signature(getattr(proto, name)).parameters if p != "self"]
        have = list(inspect.signature(getattr(impl, name)).parameters)
        assert all(p in have for p in wanted), f"{impl.__name__}.{name}{have} vs {proto.__name__}{wanted}"


def test_the_combinations_are_made_of_capabilities() -> None:
    assert protocols.WaitEngine in protocols.DeployEngine.__mro__
    assert protocols.ApplyEngine in protocols.RouterEngine.__mro__
    assert {"nodes", "stack_deploy", "require_manager"} <= _members(protocols.DeployEngine)


def test_private_sdk_calls_live_in_one_commented_place() -> None:
    for path in sorted(ENGINE_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name == "base.py":
            assert "docker-py has no public call" in text
            continue
        assert "_api._" not in text and "_client._" not in text, f"{path.name} calls a private SDK helper"


def test_importing_the_protocols_loads_no_docker_sdk() -> None:
    import subprocess
    import sys

    code = "import sys, dockline.swarm.protocols, dockline.swarm.wait; print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
