"""Fixtures every real-engine test gets.

The default router (``dockline-router``, network ``dockline-router-net``) belongs to the user:
``scripts/demo`` runs the talk's application behind it, and ``scripts/test`` may run while it
is up. A test that routes names a router of its own (``--router``, ``DOCKLINE_ROUTER`` or
``Router(...)``, with a name from ``run_id``). So that a command which routes without naming
one (``dockline deploy``, ``rollback``, ``rm``) cannot reach the user's router either, every
test here runs with ``DOCKLINE_ROUTER`` set to a router of this run that no test brings up:
such a command finds no router, exactly as on a machine where no demo runs.
"""

from __future__ import annotations

import pytest


def unrouted_router_name(run_id: str) -> str:
    """The router name the tests' environment defaults to (never brought up)."""
    return f"no-router-{run_id}"


@pytest.fixture(autouse=True)
def _never_the_default_router(monkeypatch: pytest.MonkeyPatch, run_id: str) -> None:
    # DOCKLINE_ROUTER_NAME would win over the short alias a test passes (config.ENV_ALIASES).
    monkeypatch.delenv("DOCKLINE_ROUTER_NAME", raising=False)
    monkeypatch.setenv("DOCKLINE_ROUTER", unrouted_router_name(run_id))
