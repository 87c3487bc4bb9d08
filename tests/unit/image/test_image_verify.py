"""verify's decisions against an in-memory engine (the real thing: tests/integration/image)."""

from __future__ import annotations

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
from dockline.swarm.model import ImageHealthcheck
from support.fakeswarm import HANGING, HEALTHY, Behaviour, FakeSwarm

HC = ImageHealthcheck(("CMD", "/probe"), timedelta(seconds=20), timedelta(seconds=5), timedelta(seconds=60), 3)


def engine(behaviour: Behaviour = HEALTHY, hc: ImageHealthcheck | None = HC) -> FakeSwarm:
    """The in-memory engine with image ``img`` behaving as ``behaviour``."""
    eng = FakeSwarm()
    eng.add_image("img", behaviour, healthcheck=hc)
    return eng


def req(**kw: Any) -> VerifyRequest:
    return VerifyRequest(image="img", name="v", **kw)


def run(engine: FakeSwarm, r: VerifyRequest) -> Any:
    return verify_image(engine, r, clock=engine.clock.now, sleep=engine.clock.sleep)


def run_kwargs(engine: FakeSwarm) -> dict[str, Any]:
    [(_, kwargs)] = engine.called("run_container")
    return kwargs


def removed(engine: FakeSwarm) -> list[str]:
    return [a[0] for a, _ in engine.called("remove_container")]


def test_healthy_then_smoke() -> None:
    eng = engine(Behaviour(health_output="ok", exec_result=(0, "ok")))
    out = run(eng, req(smoke=("curl", "-f", "http://127.0.0.1/")))
    assert isinstance(out, Verified) and out.ok and out.smoke_output == "ok"
    assert out.health_log == ("[HEALTHCHECK] healthy: ok",)
    assert [a[1] for a, _ in eng.called("exec_in")] == [["curl", "-f", "http://127.0.0.1/"]]
    assert len(removed(eng)) == 1 and eng.containers() == []
    assert run_kwargs(eng)["healthcheck"] is None  # the image's own, unchanged


def test_unhealthy_carries_health_log_and_tail() -> None:
    eng = engine(Behaviour("unhealthy", health_output="503"))
    out = run(eng, req())
    assert isinstance(out, VerifyUnhealthy) and not out.ok
    assert out.health_log == ("[HEALTHCHECK] unhealthy: 503",) and "log line 2" in out.log_tail
    assert len(removed(eng)) == 1 and eng.containers() == []


def test_exited_before_healthy() -> None:
    out = run(engine(Behaviour("exit", exit_code=78)), req())
    assert isinstance(out, VerifyExited) and out.exit_code == 78


def test_deadline() -> None:
    eng = engine(HANGING)
    out = run(eng, req(deadline=timedelta(seconds=5)))
    assert isinstance(out, VerifyDeadline) and out.status == "starting"
    assert out.waited == timedelta(seconds=5)
    assert len(removed(eng)) == 1 and eng.containers() == []


def test_smoke_failure() -> None:
    out = run(engine(Behaviour(exec_result=(7, "boom"))), req(smoke=("false",)))
    assert isinstance(out, SmokeFailed) and out.exit_code == 7 and out.output == "boom"


def test_removed_even_when_engine_fails() -> None:
    eng = engine()
    eng.script("container", RuntimeError("engine went away"))
    with pytest.raises(RuntimeError):
        run(eng, req())
    assert len(removed(eng)) == 1 and eng.containers() == []


def test_no_healthcheck_is_bad_input_unless_health_cmd() -> None:
    with pytest.raises(BadInputError, match="no HEALTHCHECK"):
        run(engine(hc=None), req())
    with pytest.raises(BadInputError, match="no HEALTHCHECK"):
        run(engine(hc=ImageHealthcheck(("NONE",), None, None, None, None)), req())
    eng = engine(hc=None)
    assert isinstance(run(eng, req(health_cmd="curl -f http://127.0.0.1/")), Verified)
    assert run_kwargs(eng)["healthcheck"]["test"] == ["CMD-SHELL", "curl -f http://127.0.0.1/"]


def test_health_interval_keeps_the_image_test() -> None:
    spec = healthcheck_spec(HC, None, timedelta(seconds=1))
    assert spec == {"test": ["CMD", "/probe"], "interval": timedelta(seconds=1), "timeout": timedelta(seconds=5),
                    "retries": 3, "start_period": timedelta(seconds=60)}
    assert healthcheck_spec(HC, None, None) is None
    with pytest.raises(BadInputError):
        healthcheck_spec(None, "  ", None)
