"""Helpers for the lab tests: run the dockline CLI against one lab node."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

from dockline_testing import lab as labmod


@dataclass(frozen=True)
class Run:
    rc: int
    out: str
    err: str
    seconds: float


def dockline(node: labmod.LabNode, *args: str, timeout: float = 120, cwd: str | None = None) -> Run:
    """Run the dockline CLI as a user would, against one lab node (DOCKER_HOST)."""
    env = dict(os.environ, DOCKER_HOST=node.url, COLUMNS="200", DOCKLINE_RESOLVE_IMAGE="never")
    t = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "dockline", *args], capture_output=True, text=True,
                         timeout=timeout, env=env, cwd=cwd, check=False)
    return Run(res.returncode, res.stdout, res.stderr, time.monotonic() - t)
