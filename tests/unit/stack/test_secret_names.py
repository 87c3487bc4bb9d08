"""Secret names from the swarm's own key (stack/secretnames.py), against the in-memory swarm."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dockline.errors import DeployFailed, DocklineError, EngineError
from dockline.stack import secretnames
from dockline.stack.deploy import DeployOptions, deploy_stack
from dockline.stack.hooks import Hook
from support.fakeswarm import FakeSwarm

OPTS = DeployOptions(resolve_image="never", timeout=timedelta(seconds=30))
STACK = """
services:
  web:
    image: app:1
    secrets: [pw]
secrets:
  pw:
    file: ./pw.txt
"""


@pytest.fixture()
def fake() -> FakeSwarm:
    f = FakeSwarm()
    f.add_image("app:1")
    return f


def stack(tmp_path: Path, pw: str = "hunter2") -> Path:
    (tmp_path / "pw.txt").write_text(pw)
    (tmp_path / "stack.yml").write_text(STACK)
    return tmp_path / "stack.yml"


def secret_names(fake: FakeSwarm) -> list[str]:
    return sorted(s.name for s in fake.secrets(None))


def test_no_key_until_asked_to_create_one(fake: FakeSwarm) -> None:
    assert secretnames.swarm_key(fake, create=False) is None
    assert fake.config_data(secretnames.KEY_CONFIG) is None
    key = secretnames.swarm_key(fake, create=True)
    assert key is not None and len(key) == 32
    assert secretnames.swarm_key(fake, create=False) == key  # kept in the swarm, read back
    assert fake.configs({secretnames.KEY_LABEL: "1"})[0].name == secretnames.KEY_CONFIG


def test_a_racing_deploy_that_created_the_key_first_wins(fake: FakeSwarm) -> None:
    theirs = b"ab" * 32

    def they_won_the_race(*_args: object, **_kwargs: object) -> str:
        fake.create_config(secretnames.KEY_CONFIG, theirs, {secretnames.KEY_LABEL: "1"})
        raise EngineError(f"config {secretnames.KEY_CONFIG} already exists")

    fake.script("config_data", None)  # our first read: not there yet
    fake.script("create_config", they_won_the_race)
    assert secretnames.swarm_key(fake, create=True) == bytes.fromhex(theirs.decode())


def test_a_config_that_is_not_a_key_is_refused(fake: FakeSwarm) -> None:
    fake.create_config(secretnames.KEY_CONFIG, b"not a key", {})
    with pytest.raises(DocklineError, match="not a dockline secret-names key"):
        secretnames.swarm_key(fake, create=True)


def test_deploys_name_secrets_with_the_swarm_key_and_keep_the_name(fake: FakeSwarm, tmp_path: Path) -> None:
    path = stack(tmp_path)
    first = deploy_stack(fake, "app", [path], environ={}, options=OPTS)
    assert first.exit_code == 0
    key = secretnames.swarm_key(fake, create=False)
    assert key is not None
    expected = "app_pw-" + secretnames.secret_digest(key, "app", "pw", b"hunter2")
    assert secret_names(fake) == [expected]
    again = deploy_stack(fake, "app", [path], environ={}, options=OPTS)
    assert again.exit_code == 0 and secret_names(fake) == [expected]  # same value: no rotation


def test_a_dry_run_creates_no_key(fake: FakeSwarm, tmp_path: Path) -> None:
    res = deploy_stack(fake, "app", [stack(tmp_path)], environ={},
                       options=DeployOptions(resolve_image="never", dry_run=True))
    assert res.plan is not None
    assert fake.config_data(secretnames.KEY_CONFIG) is None and fake.called("create_config") == []


def test_a_failed_pre_hook_creates_no_key_either(fake: FakeSwarm, tmp_path: Path) -> None:
    hook = Hook("pre", ("sh", "-c", "exit 3"), "flag")
    with pytest.raises(DeployFailed, match="nothing was changed"):
        deploy_stack(fake, "app", [stack(tmp_path)], environ={},
                     options=DeployOptions(resolve_image="never", hooks=(hook,)))
    assert fake.called("create_config") == [] and fake.called("stack_deploy") == []
