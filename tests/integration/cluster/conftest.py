"""The multi-node lab as a session fixture: 3 managers + 2 workers in docker-in-docker.

Built on the host engine (``engine`` fixture) by :mod:`dockline_testing.lab` (in ``testing/``,
not shipped); always torn down, also when a test or the setup fails. Only objects named
``dockline-lab-*`` and labelled ``dockline.lab.name=<prefix>`` are created and removed
(prefix dockline-lab-<run>).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import replace

import pytest

from dockline_testing import lab as labmod

log = logging.getLogger("dockline.tests.lab")


@pytest.fixture(scope="session")
def lab(engine: object, run_id: str, test_labels: dict[str, str]) -> Iterator[labmod.Lab]:
    # A prefix and a subnet of this run's own, so two pytest runs on one engine do not
    # collide; the test labels let `scripts/testbed down` sweep a lab left by a killed run.
    base = labmod.LabSpec.from_env()
    octet = 20 + int(hashlib.sha256(run_id.encode()).hexdigest(), 16) % 200
    octet += octet == 77  # 10.199.77.0/24 is scripts/lab's
    spec = replace(
        base,
        prefix=f"{base.prefix}-{run_id[:4]}",
        subnet=os.environ.get("DOCKLINE_LAB_SUBNET", f"10.199.{octet}.0/24"),
        extra_labels=test_labels,
    )
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
