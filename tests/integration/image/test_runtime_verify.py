"""`dockline verify` against real containers: a good image passes, one whose healthcheck
never passes fails with its output, an image without HEALTHCHECK is exit 2."""

from __future__ import annotations

import json
from typing import Any

import pytest
from imagekit import Images, dockline

pytestmark = pytest.mark.docker


def _leftovers(engine: Any, image: str) -> list[Any]:
    return [c for c in engine.containers(labels={"dockline.verify": "1"}) if c.image == image]


def test_verify_passes_good_image(engine: Any, images: Images) -> None:
    p = dockline("verify", images.web, "--health-interval", "1s", "--timeout", "60s",
                 "--smoke", "curl -fsS -o /dev/null http://127.0.0.1/", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["outcome"] == "Verified" and data["health_log"][-1].startswith("[HEALTHCHECK] healthy:")
    assert "is healthy after" in p.stderr
    assert _leftovers(engine, images.web) == []


def test_verify_fails_when_healthcheck_never_passes(engine: Any, images: Images) -> None:
    p = dockline("verify", images.web, "-e", "HEALTHCHECK_PATH=/missing", "--health-interval", "1s",
                 "--timeout", "60s")
    assert p.returncode == 1, p.stderr
    assert "is unhealthy after" in p.stderr
    assert "[HEALTHCHECK] unhealthy: http://127.0.0.1:80/missing answered 404, expected 200" in p.stderr
    assert "container log (tail):" in p.stderr
    assert _leftovers(engine, images.web) == []


def test_verify_without_healthcheck_is_bad_input(engine: Any, images: Images) -> None:
    p = dockline("verify", images.slow)
    assert p.returncode == 2
    assert "has no HEALTHCHECK" in p.stderr and "--health-cmd" in p.stderr
    p = dockline("verify", images.slow, "--health-cmd", "test -d /proc/1", "--health-interval", "1s",
                 "--timeout", "60s")
    assert p.returncode == 0, p.stderr
