"""Stack deploys on the real single-node swarm (issue 4, "Show").

Images are built once per session from ``local/nginx:bookworm`` (examples/stack-demo):
``v1`` healthy, ``never`` whose healthcheck asks for a path that never answers.
Every stack is uniquely named, labelled with the test labels (through a second compose
file, which also exercises merging) and removed in teardown.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dockline.cli import cli
from dockline.stack import history
from dockline.stack.deploy import DeployOptions, deploy_stack, remove_stack
from dockline.swarm.model import STACK_NAMESPACE_LABEL
from dockline.swarm.wait import Converged, Failed, RolledBack, wait_services

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

DEMO = Path(__file__).resolve().parents[3] / "examples" / "stack-demo"
OPTS = DeployOptions(resolve_image="never", timeout=timedelta(seconds=90))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read().decode()


@pytest.fixture(scope="session")
def demo_images(swarm: Any, test_labels: dict[str, str], run_id: str) -> Iterator[dict[str, str]]:
    tags = {"v1": f"dockline-test/stack-demo:{run_id}-v1", "never": f"dockline-test/stack-demo:{run_id}-never"}
    args = {"v1": {"PAGE_VERSION": "1"}, "never": {"PAGE_VERSION": "2", "HEALTH_PATH": "/never"}}
    for key, tag in tags.items():
        swarm.build(str(DEMO), tag=tag, labels=test_labels,
                    buildargs={"BASE_IMAGE": "local/nginx:bookworm", **args[key]})
    yield tags
    for tag in tags.values():
        swarm.remove_image(tag, force=True)


class Stack:
    """One test stack: a copy of the demo, its own ports, labels, and teardown."""

    def __init__(self, engine: Any, name: str, folder: Path, images: dict[str, str], labels: dict[str, str]):
        self.engine = engine
        self.name = name
        self.folder = folder
        self.web_port = free_port()
        self.api_port = free_port()
        self.env = {"WEB_IMAGE": images["v1"], "API_IMAGE": images["v1"],
                    "WEB_PORT": str(self.web_port), "API_PORT": str(self.api_port)}
        override = {
            "version": "3.8",
            "services": {s: {"deploy": {"labels": dict(labels)}, "labels": dict(labels)} for s in ("web", "api")},
            "configs": {c: {"labels": dict(labels)} for c in ("web_conf", "api_conf")},
        }
        (folder / "test-labels.yml").write_text(yaml.safe_dump(override))
        self.files = [folder / "stack.yml", folder / "test-labels.yml"]

    def deploy(self, **env: str) -> Any:
        return deploy_stack(self.engine, self.name, self.files, environ={**self.env, **env}, options=OPTS)

    def cli(self, *args: str, **env: str) -> Any:
        argv = ["deploy", self.name, *[a for f in self.files for a in ("-c", str(f))],
                "--resolve-image", "never", "--timeout", "90s", *args]
        return CliRunner().invoke(cli, argv, env={**self.env, **env})

    def objects(self) -> dict[str, set[str]]:
        ns = {STACK_NAMESPACE_LABEL: self.name}
        return {
            "services": {s.name for s in self.engine.services(labels=ns)},
            "configs": {c.name for c in self.engine.configs(ns)},
            "secrets": {s.name for s in self.engine.secrets(ns)},
            "networks": {n.name for n in self.engine.networks(labels=ns)},
            "records": {r.config_name for r in history.list_records(self.engine, self.name)},
        }


@pytest.fixture()
def stack(swarm: Any, demo_images: dict[str, str], unique_name: Callable[[str], str], tmp_path: Path,
          test_labels: dict[str, str]) -> Iterator[Stack]:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    st = Stack(swarm, unique_name("st"), folder, demo_images, test_labels)
    yield st
    remove_stack(swarm, st.name, timedelta(seconds=60))


def test_healthy_deploy_exits_0(stack: Stack) -> None:
    res = stack.cli()
    assert res.exit_code == 0, res.output
    assert f"stack {stack.name} version 1 is healthy" in res.output
    assert get(stack.web_port).strip() == "stack-demo version 1"
    assert '"service": "api"' in get(stack.api_port)
    objs = stack.objects()
    assert objs["services"] == {f"{stack.name}_web", f"{stack.name}_api"}
    # configs carry content-addressed names
    assert all(c.startswith(f"{stack.name}_") and len(c.rsplit("-", 1)[1]) == 10 for c in objs["configs"])
    assert len(objs["records"]) == 1


def test_never_healthy_upgrade_rolls_back_and_old_version_serves(stack: Stack, demo_images: dict[str, str]) -> None:
    assert stack.cli().exit_code == 0
    res = stack.cli(WEB_IMAGE=demo_images["never"])
    assert res.exit_code == 1, res.output
    assert "was rolled back" in res.output
    assert f"{stack.name}_web" in res.output
    assert "[HEALTHCHECK] web not healthy: GET /never failed" in res.output
    assert get(stack.web_port).strip() == "stack-demo version 1"
    recs = history.list_records(stack.engine, stack.name)
    assert [r.outcome for r in recs] == ["converged", "rolled_back"]
    assert stack.engine.service(f"{stack.name}_web").image == demo_images["v1"]


def talk_wait_loop(engine: Any, services: list[str], interval: float, limit: float) -> bool:
    """The talk's wait: poll replica counts (running/desired, as `docker service ls` shows
    them) every ``interval`` s for up to ``limit`` s; success when every count matches."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        ok = True
        for svc in engine.services(names=services):
            running = sum(1 for t in engine.tasks([svc.id]) if t.state == "running" and t.desired_state == "running")
            ok = ok and running == svc.replicas
        if ok:
            return True
        time.sleep(interval)
    return False


def test_talk_replica_loop_reports_success_for_the_same_failing_upgrade(stack: Stack,
                                                                       demo_images: dict[str, str]) -> None:
    assert stack.deploy().exit_code == 0
    # Apply the never-healthy upgrade exactly as the talk does (start-first; without the host
    # port, which start-first cannot bind twice on one node), then wait as the talk does.
    doc = yaml.safe_load((stack.folder / "stack.yml").read_text())
    web = doc["services"]["web"]
    web.pop("ports")
    web["image"] = demo_images["never"]
    web["deploy"]["update_config"] = {**web["deploy"]["update_config"], "order": "start-first"}
    bad = stack.folder / "bad.yml"
    bad.write_text(yaml.safe_dump(doc))
    files = [bad, stack.files[1]]
    since = datetime.now(UTC)
    from dockline.stack.deploy import _run_converter, prepare

    prepared = prepare(stack.name, files, environ=stack.env)
    _run_converter(stack.engine, stack.name, prepared.doc, OPTS)
    assert talk_wait_loop(stack.engine, list(prepared.services), interval=1.0, limit=60) is True
    # dockline's verdict on the very same upgrade:
    outcome = wait_services(stack.engine, prepared.services, timedelta(seconds=90), since=since)
    assert isinstance(outcome, RolledBack), outcome
    web = next(s for s in outcome.services if s.name.endswith("_web"))
    assert web.update_state == "rollback_completed"
    assert "not healthy" in (web.last_health_output or "")


def test_unset_required_variable_exits_2_and_changes_nothing(stack: Stack) -> None:
    assert stack.deploy().exit_code == 0
    before = stack.objects()
    secret_file = stack.folder / "db.yml"
    secret_file.write_text(yaml.safe_dump({
        "version": "3.8", "services": {"api": {"environment": {"PGPASSWORD": "${DB_PASSWORD:?set it}"}}}}))
    stack.files.append(secret_file)
    res = stack.cli()
    assert res.exit_code == 2, res.output
    assert "required variable DB_PASSWORD is not set: set it" in res.output
    assert "services.api.environment.PGPASSWORD" in res.output
    assert stack.objects() == before


def _web_conf_with(folder: Path, answer: str) -> None:
    conf = folder / "web.conf"
    text = conf.read_text().replace("    location / {", f'    location = /which {{ return 200 "{answer}"; }}\n    location / {{')
    conf.write_text(text)


def test_changed_config_rotates_and_unused_versions_go(stack: Stack) -> None:
    original = (stack.folder / "web.conf").read_text()
    assert stack.deploy().exit_code == 0
    first = {c for c in stack.objects()["configs"] if "web_conf" in c}
    _web_conf_with(stack.folder, "B")
    r2 = stack.deploy()
    assert r2.exit_code == 0, r2.outcome
    assert get(stack.web_port, "/which") == "B"
    second = {c for c in stack.objects()["configs"] if "web_conf" in c} - first
    assert len(second) == 1
    # the first version is still the previous spec's (rollback needs it)
    assert first <= stack.objects()["configs"]
    (stack.folder / "web.conf").write_text(original)
    _web_conf_with(stack.folder, "C")
    r3 = stack.deploy()
    assert r3.exit_code == 0, r3.outcome
    assert get(stack.web_port, "/which") == "C"
    now = stack.objects()["configs"]
    assert not (first & now), "the unused first version was not removed"
    assert second <= now
    assert set(r3.collected) == first
    web = stack.engine.service(f"{stack.name}_web")
    assert any(n not in first | second for n in web.configs if "web_conf" in n)


def test_unplaceable_constraint_is_refused_before_applying(stack: Stack) -> None:
    nowhere = stack.folder / "nowhere.yml"
    nowhere.write_text(yaml.safe_dump({"version": "3.8", "services": {"web": {"deploy": {
        "placement": {"constraints": ["node.labels.dockline-test-nowhere == yes"]}}}}}))
    stack.files.append(nowhere)
    res = stack.cli()
    assert res.exit_code == 2, res.output
    assert stack.objects()["services"] == set()


def test_unplaceable_constraint_fails_fast_without_the_precheck(stack: Stack) -> None:
    nowhere = stack.folder / "nowhere.yml"
    nowhere.write_text(yaml.safe_dump({"version": "3.8", "services": {"web": {"deploy": {
        "placement": {"constraints": ["node.labels.dockline-test-nowhere == yes"]}}}}}))
    stack.files.append(nowhere)
    res = stack.cli("--no-placement-check", "--json")
    assert res.exit_code == 1, res.output
    import json

    data = json.loads(res.stdout)
    assert data["outcome"] == "failed"  # decided, not timed out
    assert any("no suitable node" in r for r in data["reasons"])


def test_more_replicas_than_max_per_node_allows_is_refused(stack: Stack) -> None:
    # one node, two replicas, at most one per node: the second task would pend forever
    spread = stack.folder / "spread.yml"
    spread.write_text(yaml.safe_dump({"version": "3.8", "services": {"web": {"deploy": {
        "replicas": 2, "placement": {"max_replicas_per_node": 1}}}}}))
    stack.files.append(spread)
    res = stack.cli()
    assert res.exit_code == 2, res.output
    assert "2 replicas at max_replicas_per_node 1 need 2 nodes, but only 1 can take it" in res.output
    assert stack.objects()["services"] == set()
    # without the check the engine takes the stack and a task stays pending
    import json

    res = stack.cli("--no-placement-check", "--json", "--timeout", "60s")
    assert res.exit_code == 1, res.output
    assert any("no suitable node" in r for r in json.loads(res.stdout)["reasons"])


def test_reservation_larger_than_the_node_is_refused(stack: Stack) -> None:
    big = stack.folder / "big.yml"
    big.write_text(yaml.safe_dump({"version": "3.8", "services": {"web": {"deploy": {
        "resources": {"reservations": {"memory": "64T"}}}}}}))
    stack.files.append(big)
    res = stack.cli()
    assert res.exit_code == 2, res.output
    assert "each task reserves 64 TiB, more than any node that can take it has" in res.output
    assert stack.objects()["services"] == set()


def test_start_first_update_on_a_busy_host_port_fails_fast(stack: Stack) -> None:
    assert stack.deploy().exit_code == 0
    # any change to the task template makes an update; start-first needs the port twice
    change = stack.folder / "change.yml"
    change.write_text(yaml.safe_dump({"version": "3.8", "services": {"web": {
        "environment": {"CHANGED": "1"}, "deploy": {"update_config": {"order": "start-first"}}}}}))
    stack.files.append(change)
    res = stack.deploy()
    assert isinstance(res.outcome, Failed), res.outcome
    assert any("host-mode port already in use" in r for r in res.outcome.reasons), res.outcome.reasons
    assert get(stack.web_port).strip() == "stack-demo version 1"


def test_rm_leaves_nothing_behind(stack: Stack) -> None:
    assert stack.deploy().exit_code == 0
    res = CliRunner().invoke(cli, ["rm", stack.name, "--timeout", "60s"])
    assert res.exit_code == 0, res.output
    assert stack.objects() == {k: set() for k in ("services", "configs", "secrets", "networks", "records")}
    assert stack.engine.containers(labels={STACK_NAMESPACE_LABEL: stack.name}) == []


def test_rollback_restores_the_previous_record(stack: Stack) -> None:
    _web_conf_with(stack.folder, "A")
    assert stack.deploy().exit_code == 0
    (stack.folder / "web.conf").write_text((DEMO / "web.conf").read_text())
    _web_conf_with(stack.folder, "B")
    assert stack.deploy().exit_code == 0
    assert get(stack.web_port, "/which") == "B"
    res = CliRunner().invoke(cli, ["rollback", stack.name, "--resolve-image", "never", "--timeout", "90s"])
    assert res.exit_code == 0, res.output
    assert get(stack.web_port, "/which") == "A"
    recs = history.list_records(stack.engine, stack.name)
    assert recs[-1].source == "rollback:1"
    assert isinstance(wait_services(stack.engine, [f"{stack.name}_web"], timedelta(seconds=10)), Converged)


def test_rollback_recreates_a_collected_config_version_from_the_record(stack: Stack) -> None:
    for answer in ("A", "B", "C"):
        (stack.folder / "web.conf").write_text((DEMO / "web.conf").read_text())
        _web_conf_with(stack.folder, answer)
        result = stack.deploy()
        assert result.exit_code == 0, result.outcome
    assert any("web_conf" in c for c in result.collected)  # version A is gone from the swarm
    res = CliRunner().invoke(cli, ["rollback", stack.name, "--to", "1", "--resolve-image", "never",
                                   "--timeout", "90s"])
    assert res.exit_code == 0, res.output
    assert get(stack.web_port, "/which") == "A"


def test_dry_run_plans_without_changing_and_secret_values_never_print(stack: Stack) -> None:
    import json

    value = "s3cr3t-value-xyz"
    (stack.folder / "pw.txt").write_text(value)
    extra = stack.folder / "secret.yml"
    extra.write_text(yaml.safe_dump({"version": "3.8", "services": {"api": {"secrets": ["pw"]}},
                                     "secrets": {"pw": {"file": "./pw.txt"}}}))
    stack.files.append(extra)
    first = stack.cli("--json")
    assert first.exit_code == 0, first.output
    assert value not in first.output
    data = json.loads(first.stdout)
    assert data["outcome"] == "converged" and data["version"] == 1
    assert {o["kind"] for o in data["plan"]["objects"]} == {"config", "secret"}
    before = stack.objects()
    _web_conf_with(stack.folder, "D")
    (stack.folder / "pw.txt").write_text(value + "-2")
    plan = stack.cli("--dry-run")
    assert plan.exit_code == 0, plan.output
    assert f"service {stack.name}_web: update: configs.web_conf" in plan.output
    assert f"service {stack.name}_api: update: secrets.pw" in plan.output
    assert "secret pw: new version" in plan.output and "config api_conf: unchanged" in plan.output
    assert value not in plan.output
    assert stack.objects() == before  # nothing changed
    status = CliRunner().invoke(cli, ["status", stack.name, "--json"])
    assert status.exit_code == 0, status.output
    st = json.loads(status.stdout)[0]
    assert st["version"] == 1 and st["outcome"] == "converged"
    assert {s["name"] for s in st["services"]} == {f"{stack.name}_web", f"{stack.name}_api"}
    assert all(s["state"]["verdict"] == "converged" and s["tasks"] for s in st["services"])
    assert value not in status.output


def test_tasks_failing_past_the_restart_policy_fail_the_deploy(stack: Stack, demo_images: dict[str, str]) -> None:
    # a fresh create (no update, so no rollback): max_attempts 3 in the demo's restart_policy
    res = stack.deploy(WEB_IMAGE=demo_images["never"])
    assert isinstance(res.outcome, Failed), res.outcome
    web = next(s for s in res.outcome.services if s.name.endswith("_web"))
    assert "task slot 1 failed 3 times" in (web.reason or "")
    assert "[HEALTHCHECK] web not healthy" in (web.last_health_output or "")
    assert res.outcome.elapsed < OPTS.timeout  # decided, not timed out


# ---------------------------------------------------------------- a real registry
@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The distribution registry (Debian's docker-registry, installed by scripts/test) on a
    loopback port; the engine treats 127.0.0.0/8 registries as insecure (plain HTTP)."""
    exe = shutil.which("docker-registry")
    assert exe, "docker-registry is not installed: scripts/test installs it (apt install docker-registry)"
    port = free_port()
    root = tmp_path_factory.mktemp("registry")
    cfg = root / "config.yml"
    cfg.write_text(yaml.safe_dump({"version": 0.1, "log": {"level": "warn"},
                                   "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
                                   "http": {"addr": f"127.0.0.1:{port}"}}))
    with (root / "registry.log").open("w") as log:
        proc = subprocess.Popen([exe, "serve", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < end, (root / "registry.log").read_text()[-2000:]
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_push_deploy_by_digest_and_plan_a_moved_tag(stack: Stack, registry: str, demo_images: dict[str, str],
                                                     swarm: Any) -> None:
    repo = f"{registry}/dockline-test/stack-demo"
    ref = f"{repo}:{stack.name}"
    nowhere = f"127.0.0.1:{free_port()}/nothing/here"
    runner = CliRunner()
    try:
        swarm.tag_image(demo_images["v1"], repo, stack.name)
        pushed = runner.invoke(cli, ["push", ref, "--json"])
        assert pushed.exit_code == 0, pushed.output
        first = json.loads(pushed.stdout)[0]["digest"]
        assert first.startswith("sha256:")

        def deploy(*args: str) -> Any:
            argv = ["deploy", stack.name, *[a for f in stack.files for a in ("-c", str(f))], "--timeout", "90s", *args]
            return runner.invoke(cli, argv, env={**stack.env, "WEB_IMAGE": ref, "API_IMAGE": ref})

        res = deploy("--resolve-image", "always")
        assert res.exit_code == 0, res.output
        assert swarm.service(f"{stack.name}_web").image == f"{ref}@{first}"  # pinned to the registry's digest

        # the same tag now names another image in the registry
        swarm.tag_image(demo_images["never"], repo, stack.name)
        pushed = runner.invoke(cli, ["push", ref, "--json"])
        assert pushed.exit_code == 0, pushed.output
        second = json.loads(pushed.stdout)[0]["digest"]
        assert second != first
        plan = deploy("--dry-run", "--resolve-image", "always")
        assert plan.exit_code == 0, plan.output
        assert f"service {stack.name}_web: update: image digest  image {ref} ({second})" in plan.output, plan.output
        # without asking the registry the files look unchanged: what the lookup is for
        blind = deploy("--dry-run", "--resolve-image", "never")
        assert f"service {stack.name}_web: unchanged" in blind.output, blind.output
        assert swarm.service(f"{stack.name}_web").image == f"{ref}@{first}"  # dry runs changed nothing

        # pushes that cannot work: one clear line each
        bad = runner.invoke(cli, ["push", f"{nowhere}:1"])
        assert bad.exit_code == 2 and "no such local image" in bad.output, bad.output
        swarm.tag_image(demo_images["v1"], nowhere, "1")
        bad = runner.invoke(cli, ["push", f"{nowhere}:1"])
        assert bad.exit_code == 1 and f"push of {nowhere}:1 failed" in bad.output, bad.output
        assert "Traceback" not in bad.output
    finally:
        swarm.remove_image(ref, force=True)
        swarm.remove_image(f"{nowhere}:1", force=True)
