"""The engine package's pure parts: the one conversion of API dicts to models and the one
translation of SDK/CLI errors, and the "remove unless in use" rule written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import docker.errors
import pytest

from dockline.engine import convert
from dockline.engine.base import ApiBase
from dockline.engine.errors import translate, translate_cli
from dockline.errors import EngineError, EngineUnavailable, NotSwarmManager, QuorumLost


def test_image_info_from_one_inspect() -> None:
    raw = {"Id": "sha256:1", "RepoDigests": ["reg/app@sha256:abc"],
           "Config": {"Labels": {"a": "b"}, "Healthcheck": {"Test": ["CMD", "/probe"], "Interval": 20_000_000_000,
                                                           "Retries": 3}}}
    info = convert.image_info(raw)
    assert info.id == "sha256:1" and info.labels == {"a": "b"} and info.digest == "sha256:abc"
    assert info.healthcheck is not None and info.healthcheck.test == ("CMD", "/probe")
    assert info.healthcheck.interval == timedelta(seconds=20) and info.healthcheck.retries == 3
    bare = convert.image_info({"Id": "sha256:2", "Config": {}})
    assert bare.healthcheck is None and bare.digest == "sha256:2" and bare.labels == {}


def test_label_filter_and_durations() -> None:
    assert convert.label_filter({"k": "v", "p": ""}) == {"label": ["k=v", "p"]}
    assert convert.label_filter(None) == {} and convert.label_filter({}) == {}
    assert convert.to_nanos(timedelta(seconds=1.5)) == 1_500_000_000
    assert convert.from_nanos(1_500_000_000) == timedelta(seconds=1.5) and convert.from_nanos(None) is None
    assert convert.parse_time("2024-01-02T03:04:05.123456789Z") == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert convert.parse_time("0001-01-01T00:00:00Z") is None


@pytest.mark.parametrize(("text", "kind"), [
    ("Error response from daemon: rpc error: The swarm does not have a leader", QuorumLost),
    ("raft: node lost leader status", QuorumLost),
    ("This node is not a swarm manager.", NotSwarmManager),
    ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock", EngineUnavailable),
    ("some other failure", EngineError),
])
def test_cli_text_translates(text: str, kind: type) -> None:
    assert type(translate_cli(text, "the stack deploy")) is kind


def test_api_errors_translate_like_the_cli() -> None:
    e = docker.errors.APIError("500", explanation="The swarm does not have a leader")
    assert isinstance(translate(e, "x"), QuorumLost)
    refused = translate(docker.errors.APIError("409", explanation="conflict"), "the config removal")
    assert type(refused) is EngineError and refused.message == "Docker refused the config removal: conflict"


class _Api:
    def __init__(self, error: Exception | None):
        self.error = error

    def remove(self, _id: str) -> None:
        if self.error is not None:
            raise self.error


class _Client:
    def __init__(self, error: Exception | None):
        self.api: Any = _Api(error)


@pytest.mark.parametrize(("error", "absent", "expected"), [
    (None, False, True),
    (docker.errors.NotFound("404"), False, False),
    (docker.errors.NotFound("404"), True, True),
    (docker.errors.APIError("409", explanation="config is in use by service web"), False, False),
    (docker.errors.APIError("403", explanation="network has active endpoints"), False, False),
])
def test_remove_unless_in_use(error: Exception | None, absent: bool, expected: bool) -> None:
    base = ApiBase(_Client(error))
    assert base._remove("the removal", base._api.remove, "x", absent=absent) is expected


def test_remove_raises_other_refusals() -> None:
    base = ApiBase(_Client(docker.errors.APIError("500", explanation="boom")))
    with pytest.raises(EngineError, match="boom"):
        base._remove("the removal", base._api.remove, "x")
