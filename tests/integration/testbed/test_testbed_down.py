"""``scripts/testbed down --run ID`` on the real swarm: it removes one test run's objects and
leaves a demo's and another run's (issue 12: ``scripts/test`` ends with it while a user's
``scripts/demo`` may be up). Also: every integration test defaults to a router of its own.

The run ids used here are made up for the test (never this session's), so the sweep cannot
touch what the rest of the suite is using. The option checks and the filters are unit-tested
against a fake docker (tests/unit/foundation/test_testbed_scope.py).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from dockline.config import router_settings
from dockline.engine import Engine

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

ROOT = Path(__file__).resolve().parents[3]
TESTBED = ROOT / "scripts" / "testbed"
IMAGE = "local/nginx:bookworm"
KINDS = ("service", "config", "secret", "network", "volume")


def run_testbed(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(TESTBED), *args], capture_output=True, text=True, timeout=180,
                          check=False)


class Owner:
    """One owner's objects: a stack (a service with 0 replicas, its config and network) and
    a loose service, config, secret, network and volume, all labelled ``labels``."""

    def __init__(self, engine: Engine, name: str, labels: dict[str, str], folder: Path):
        self.engine, self.name, self.labels = engine, name, labels
        lab = [a for k, v in labels.items() for a in ("--label", f"{k}={v}")]
        doc = {"version": "3.8",
               "services": {"web": {"image": IMAGE, "networks": ["net"], "configs": ["conf"],
                                    "deploy": {"replicas": 0, "labels": labels}}},
               "networks": {"net": {"driver": "overlay", "labels": labels}},
               "configs": {"conf": {"file": str(folder / "conf.txt"), "labels": labels}}}
        folder.mkdir()
        (folder / "conf.txt").write_text(name)
        (folder / "stack.yml").write_text(yaml.safe_dump(doc))
        engine.stack_deploy(name, str(folder / "stack.yml"), prune=False, with_registry_auth=False,
                            resolve_image="never")
        for args in (["service", "create", "--detach", "--no-resolve-image", "--replicas", "0", *lab,
                      "--name", f"{name}-svc", IMAGE],
                     ["config", "create", *lab, f"{name}-config", "-"],
                     ["secret", "create", *lab, f"{name}-secret", "-"],
                     ["network", "create", *lab, f"{name}-network"],
                     ["volume", "create", *lab, f"{name}-volume"]):
            res = engine.cli(args, input="x")
            assert res.returncode == 0, (args, res.stderr)

    def present(self) -> dict[str, set[str]]:
        """Names of this owner's objects still in the engine, by kind."""
        found: dict[str, set[str]] = {}
        for kind in KINDS:
            res = self.engine.cli([kind, "ls", "--format", "{{json .}}"])
            assert res.returncode == 0, res.stderr
            names = {json.loads(line)["Name"] for line in res.stdout.splitlines() if line.strip()}
            found[kind] = {n for n in names if n.startswith(self.name)}
        return found

    def everything(self) -> dict[str, set[str]]:
        return {"service": {f"{self.name}_web", f"{self.name}-svc"},
                "config": {f"{self.name}_conf", f"{self.name}-config"},
                "secret": {f"{self.name}-secret"},
                "network": {f"{self.name}_net", f"{self.name}-network"},
                "volume": {f"{self.name}-volume"}}

    def remove(self) -> None:
        """Teardown by name (also what the sweep left on purpose)."""
        self.engine.cli(["stack", "rm", self.name])
        self.engine.cli(["service", "rm", f"{self.name}-svc"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for kind in ("config", "secret", "network", "volume"):
                for n in self.present()[kind]:
                    self.engine.cli([kind, "rm", n])
            if not any(self.present().values()):
                return
            time.sleep(0.5)


@pytest.fixture()
def owners(swarm: Engine, run_id: str, unique_name: Callable[[str], str], tmp_path: Path,
           test_labels: dict[str, str]) -> Iterator[dict[str, Owner]]:
    made: dict[str, Owner] = {}
    # A user's demo: labelled dockline.demo only (what `dockline demo up` puts on everything).
    specs = {"demo": {"dockline.demo": unique_name("tbdemo")},
             "other": {**test_labels, "dockline.test.run": f"{run_id}-other"},
             "target": {**test_labels, "dockline.test.run": f"{run_id}-target"}}
    try:
        for key, labels in specs.items():
            made[key] = Owner(swarm, unique_name(f"tb{key}"), labels, tmp_path / key)
        yield made
    finally:
        for o in made.values():
            o.remove()


def test_down_by_run_removes_that_run_only(owners: dict[str, Owner]) -> None:
    for o in owners.values():
        assert o.present() == o.everything()
    target = owners["target"].labels["dockline.test.run"]
    res = run_testbed("down", "--run", target)
    assert res.returncode == 0, res.stderr
    assert f"down (test run {target})" in res.stderr

    deadline = time.monotonic() + 30
    while any(owners["target"].present().values()) and time.monotonic() < deadline:
        time.sleep(0.5)  # the stack's network goes after its service has
    assert owners["target"].present() == {k: set() for k in KINDS}
    # The demo's and the other run's objects are all still there.
    assert owners["demo"].present() == owners["demo"].everything()
    assert owners["other"].present() == owners["other"].everything()


def test_commands_that_route_without_naming_a_router_never_reach_the_default_one(run_id: str) -> None:
    # tests/integration/conftest.py: the user's demo runs behind dockline-router.
    name = router_settings().name
    assert name != "dockline-router" and run_id in name
