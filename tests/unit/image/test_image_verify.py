"""verify's decisions against an in-memory engine (the real thing: tests/integration/image)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from dockline.errors import BadInputError
from dockline.image.verify import (
    SmokeFailed,
    Verified,
    VerifyDeadline,
    VerifyExited,
    VerifyRequest,
    VerifyUnhealthy,
    healthcheck_spec,
    verify_image,
)
from dockline.swarm.model import ContainerInfo, ImageHealthcheck

HC = ImageHealthcheck(("CMD", "/probe"), timedelta(seconds=20), timedelta(seconds=5), timedelta(seconds=60), 3)
BASE = ContainerInfo(id="c1", name="v", image="img", status="running", exit_code=None, health="starting",
                     health_log=(), labels={}, ip_addresses={}, ports={}, started_at=None, finished_at=None, pid=1)


class FakeEngine:
    def __init__(self, states: list[ContainerInfo], hc: ImageHealthcheck | None = HC,
                 smoke: tuple[int, str] = (0, "ok")):
        self.states = states
        self.hc = hc
        self.smoke = smoke
        self.run_kwargs: dict[str, Any] = {}
        self.removed: list[str] = []
        self.execs: list[list[str]] = []

    def image_healthcheck(self, ref: str) -> ImageHealthcheck | None:
        return self.hc

    def run_container(self, image: str, **kwargs: Any) -> ContainerInfo:
        self.run_kwargs = kwargs
        return BASE

    def container(self, id_or_name: str) -> ContainerInfo | None:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def container_logs(self, id_or_name: str, tail: int = 50) -> str:
        return "log line 1\nlog line 2\n"

    def exec_in(self, id_or_name: str, cmd: Sequence[str], user: str | None = None) -> tuple[int, str]:
        self.execs.append(list(cmd))
        return self.smoke

    def remove_container(self, id_or_name: str, force: bool = True) -> None:
        self.removed.append(id_or_name)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def req(**kw: Any) -> VerifyRequest:
    return VerifyRequest(image="img", name="v", **kw)


def run(engine: FakeEngine, r: VerifyRequest) -> Any:
    c = Clock()
    return verify_image(engine, r, clock=c.now, sleep=c.sleep)


def test_healthy_then_smoke() -> None:
    eng = FakeEngine([BASE, replace(BASE, health="healthy", health_log=("[HEALTHCHECK] healthy: ok",))])
    out = run(eng, req(smoke=("curl", "-f", "http://127.0.0.1/")))
    assert isinstance(out, Verified) and out.ok and out.smoke_output == "ok"
    assert eng.execs == [["curl", "-f", "http://127.0.0.1/"]]
    assert eng.removed == ["c1"]
    assert eng.run_kwargs["healthcheck"] is None  # the image's own, unchanged


def test_unhealthy_carries_health_log_and_tail() -> None:
    eng = FakeEngine([BASE, replace(BASE, health="unhealthy", health_log=("[HEALTHCHECK] unhealthy: 503",))])
    out = run(eng, req())
    assert isinstance(out, VerifyUnhealthy) and not out.ok
    assert out.health_log == ("[HEALTHCHECK] unhealthy: 503",) and "log line 2" in out.log_tail
    assert eng.removed == ["c1"]


def test_exited_before_healthy() -> None:
    eng = FakeEngine([BASE, replace(BASE, status="exited", exit_code=78)])
    out = run(eng, req())
    assert isinstance(out, VerifyExited) and out.exit_code == 78


def test_deadline() -> None:
    eng = FakeEngine([BASE])
    out = run(eng, req(deadline=timedelta(seconds=5)))
    assert isinstance(out, VerifyDeadline) and out.status == "starting"
    assert out.waited == timedelta(seconds=5)
    assert eng.removed == ["c1"]


def test_smoke_failure() -> None:
    eng = FakeEngine([replace(BASE, health="healthy")], smoke=(7, "boom"))
    out = run(eng, req(smoke=("false",)))
    assert isinstance(out, SmokeFailed) and out.exit_code == 7 and out.output == "boom"


def test_removed_even_when_engine_fails() -> None:
    class Broken(FakeEngine):
        def container(self, id_or_name: str) -> ContainerInfo | None:
            raise RuntimeError("engine went away")

    eng = Broken([BASE])
    with pytest.raises(RuntimeError):
        run(eng, req())
    assert eng.removed == ["c1"]


def test_no_healthcheck_is_bad_input_unless_health_cmd() -> None:
    with pytest.raises(BadInputError, match="no HEALTHCHECK"):
        run(FakeEngine([BASE], hc=None), req())
    with pytest.raises(BadInputError, match="no HEALTHCHECK"):
        run(FakeEngine([BASE], hc=ImageHealthcheck(("NONE",), None, None, None, None)), req())
    eng = FakeEngine([replace(BASE, health="healthy")], hc=None)
    assert isinstance(run(eng, req(health_cmd="curl -f http://127.0.0.1/")), Verified)
    assert eng.run_kwargs["healthcheck"]["test"] == ["CMD-SHELL", "curl -f http://127.0.0.1/"]


def test_health_interval_keeps_the_image_test() -> None:
    spec = healthcheck_spec(HC, None, timedelta(seconds=1))
    assert spec == {"test": ["CMD", "/probe"], "interval": timedelta(seconds=1), "timeout": timedelta(seconds=5),
                    "retries": 3, "start_period": timedelta(seconds=60)}
    assert healthcheck_spec(HC, None, None) is None
    with pytest.raises(BadInputError):
        healthcheck_spec(None, "  ", None)
