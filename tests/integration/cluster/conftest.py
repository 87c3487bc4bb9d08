"""The multi-node lab as a session fixture: 3 managers + 2 workers in docker-in-docker.

Built on the host engine (``engine`` fixture) by :mod:`dockline.cluster.lab`; always torn
down, also when a test or the setup fails. Only objects named ``dockline-lab-*`` and
labelled ``dockline.lab.name=dockline-lab`` are created and removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from dockline.cluster import lab as labmod

log = logging.getLogger("dockline.tests.lab")


@pytest.fixture(scope="session")
def lab(engine: object) -> Iterator[labmod.Lab]:
    spec = labmod.LabSpec.from_env()
    try:
        running = labmod.up(engine, spec)  # type: ignore[arg-type]
    except BaseException:
        labmod.down(engine, spec)  # type: ignore[arg-type]
        raise
    log.warning("lab up: %s", dict(running.timings))
    try:
        yield running
    finally:
        took = labmod.down(engine, spec)  # type: ignore[arg-type]
        log.warning("lab down in %.1f s", took)
