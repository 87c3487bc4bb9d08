"""A multi-node swarm on one machine, for tests: docker-in-docker nodes on a private network.

``up`` builds two small images (a node: Debian's docker.io; an app: static busybox on
scratch), starts one container per node on an internal bridge network, makes a swarm
(3 managers + 2 workers by default) and loads the app image into every node. Each node's
inner dockerd also listens on a socket bind-mounted to the host
(``<sock_root>/<prefix>/<node>/docker.sock``), so ``Engine.connect("unix://...")`` and
``DOCKER_HOST=unix://...`` reach a node directly. ``down`` removes exactly what ``up``
made: objects named ``<prefix>-*`` *and* labelled ``dockline.lab.name=<prefix>``.

Traps this works around (found on the CI machine; testbed/swarm-lab.md has the story):

* ``--privileged`` is impossible (no CAP_SYS_RESOURCE in the bounding set): nodes get every
  other capability, unconfined seccomp/apparmor/systempaths and all devices, and the
  entrypoint remounts ``/sys`` and the cgroup v1 hierarchies read-write.
* No route out and no registry: the network is ``--internal`` and nodes run with
  ``DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1`` (never pull), stacks use
  ``--resolve-image never``, and images arrive by ``docker save`` / ``docker load``.
* No IPVS in the kernel: services in the lab use ``endpoint_mode: dnsrr`` and host-mode ports.
* Raft transitions make engine calls hang for up to ~20 s: every call here has a deadline.

Everything goes through :class:`dockline.engine.Engine` (its build method and its docker
CLI runner); nothing here imports docker. This is test tooling, not product: it lives in
``testing/`` (out of the wheel), and no module of ``dockline`` imports it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from dockline.engine import Engine
from dockline.errors import DocklineError, EngineError, EnvironmentProblem
from dockline.retry import Backoff, DeadlinePassed, poll_until

log = logging.getLogger("dockline.testing.lab")

LAB_LABEL = "dockline.lab"
NAME_LABEL = "dockline.lab.name"
NODE_IMAGE = "dockline-lab/dind:bookworm"
APP_IMAGE = "dockline-lab/busybox:1"
_SOCK_IN_NODE = "/run/lab-host"
_CALL = timedelta(seconds=30)


@dataclass(frozen=True)
class LabSpec:
    """Names, addresses and sizes of one lab (several labs can coexist with other prefixes)."""

    prefix: str = "dockline-lab"
    subnet: str = "10.199.77.0/24"
    managers: int = 3
    workers: int = 2
    base_image: str = "local/debian:bookworm"
    sock_root: str = "/tmp"
    extra_labels: Mapping[str, str] = field(default_factory=dict)  # e.g. the test run's labels

    @classmethod
    def from_env(cls) -> LabSpec:
        """Defaults, overridden by DOCKLINE_LAB_PREFIX / _SUBNET / _BASE_IMAGE / _SOCK_ROOT."""
        d = cls()
        return cls(
            prefix=os.environ.get("DOCKLINE_LAB_PREFIX", d.prefix),
            subnet=os.environ.get("DOCKLINE_LAB_SUBNET", d.subnet),
            base_image=os.environ.get("DOCKLINE_LAB_BASE_IMAGE", d.base_image),
            sock_root=os.environ.get("DOCKLINE_LAB_SOCK_ROOT", d.sock_root),
        )

    @property
    def network(self) -> str:
        return f"{self.prefix}-net"

    @property
    def sock_dir(self) -> Path:
        return Path(self.sock_root) / self.prefix

    def node_names(self) -> list[tuple[str, str]]:
        """(name, role) of every node, managers first."""
        return [(f"{self.prefix}-m{i + 1}", "manager") for i in range(self.managers)] + [
            (f"{self.prefix}-w{i + 1}", "worker") for i in range(self.workers)
        ]

    def ip(self, index: int, role: str) -> str:
        net = ipaddress.ip_network(self.subnet)
        return str(net.network_address + (11 if role == "manager" else 21) + index)


@dataclass(frozen=True)
class LabNode:
    """One node: its container (and hostname), role, address and host-side socket."""

    name: str
    role: str
    ip: str
    socket: str

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"


@dataclass(frozen=True)
class Lab:
    """A running lab."""

    spec: LabSpec
    nodes: tuple[LabNode, ...]
    app_image: str = APP_IMAGE
    timings: Mapping[str, float] = field(default_factory=dict)  # step -> seconds

    @property
    def managers(self) -> list[LabNode]:
        return [n for n in self.nodes if n.role == "manager"]

    @property
    def workers(self) -> list[LabNode]:
        return [n for n in self.nodes if n.role == "worker"]

    def node(self, name: str) -> LabNode:
        """By container name or by suffix (``m1``, ``w2``)."""
        for n in self.nodes:
            if name in (n.name, n.name.removeprefix(self.spec.prefix + "-")):
                return n
        raise KeyError(name)


# --------------------------------------------------------------------------- helpers
def _data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


def _cli(engine: Engine, args: Sequence[str], *, host: str | None = None,
         timeout: timedelta = _CALL, check: bool = True) -> str:
    env = {"DOCKER_HOST": host} if host else None
    res = engine.cli(list(args), env=env, timeout=timeout)
    out = (res.stdout + res.stderr).strip()
    if check and res.returncode != 0:
        raise EngineError(f"`docker {' '.join(args[:3])}` failed: {out[-500:]}")
    return res.stdout.strip()


def _wait(what: str, check: Callable[[], bool], timeout: float, interval: float = 0.2) -> None:
    """Until ``check()`` is true; an engine error while asking (a node still starting, a Raft
    transition) counts as "not yet". Tries every ``interval`` seconds at first, growing to
    at most 1 s (``poll_until``'s backoff)."""

    def answered() -> bool | None:
        try:
            return True if check() else None
        except DocklineError as e:
            log.debug("%s: not yet (%s)", what, e.message)
            return None

    backoff = Backoff(first=timedelta(seconds=interval), most=timedelta(seconds=1))
    try:
        poll_until(answered, deadline=timedelta(seconds=timeout), what=f"lab: {what}",
                   backoff=backoff)
    except DeadlinePassed as e:
        raise EnvironmentProblem(f"lab: {what} did not happen within {timeout:.0f} s") from e


def node_engine(node: LabNode, timeout: timedelta = timedelta(seconds=10)) -> Engine:
    """An engine connected to one lab node (close it after use)."""
    return Engine.connect(node.url, timeout=timeout)


def _answers(node: LabNode) -> bool:
    if not os.path.exists(node.socket):
        return False
    eng = node_engine(node, timedelta(seconds=3))
    try:
        eng.info()
        return True
    finally:
        eng.close()


# --------------------------------------------------------------------------- up / down
def build_images(engine: Engine, spec: LabSpec) -> float:
    """Build (or find cached) the node and app images; returns seconds taken."""
    t = time.monotonic()
    if engine.image(spec.base_image) is None:
        raise EnvironmentProblem(
            f"lab: base image {spec.base_image} is missing",
            "build it with `scripts/testbed up` (or set DOCKLINE_LAB_BASE_IMAGE)",
        )
    data = _data_dir()
    for sub, tag in (("dind", NODE_IMAGE), ("busybox", APP_IMAGE)):
        engine.build(str(data / sub), tag=tag, buildargs={"BASE_IMAGE": spec.base_image},
                     labels={LAB_LABEL: "1"})
    # the legacy builder leaves the busybox build stage behind as a dangling image
    _cli(engine, ["image", "prune", "-f", "--filter", f"label={LAB_LABEL}.stage=build"], check=False)
    return time.monotonic() - t


def up(engine: Engine, spec: LabSpec | None = None, *,
       on_step: Callable[[str, float], None] | None = None) -> Lab:
    """Start a fresh lab (removing a stale one of the same prefix first)."""
    spec = spec or LabSpec.from_env()
    timings: dict[str, float] = {}
    t_all = time.monotonic()

    def step(name: str, t0: float) -> None:
        timings[name] = round(time.monotonic() - t0, 2)
        if on_step:
            on_step(name, timings[name])

    down(engine, spec)
    t = time.monotonic()
    build_images(engine, spec)
    step("images", t)

    t = time.monotonic()
    labels = ["--label", f"{LAB_LABEL}=1", "--label", f"{NAME_LABEL}={spec.prefix}"]
    for k, v in spec.extra_labels.items():
        labels += ["--label", f"{k}={v}"]
    _cli(engine, ["network", "create", "--driver", "bridge", "--internal", "--subnet", spec.subnet,
                  *labels, spec.network])
    nodes = []
    counters = {"manager": 0, "worker": 0}
    for name, role in spec.node_names():
        ip = spec.ip(counters[role], role)
        counters[role] += 1
        host_dir = spec.sock_dir / name
        host_dir.mkdir(parents=True, exist_ok=True)
        _cli(engine, [
            "run", "-d", "--name", name, "--hostname", name, "--network", spec.network, "--ip", ip,
            "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            "--security-opt", "systempaths=unconfined", "--device-cgroup-rule", "a *:* rwm",
            *labels, "--label", f"{LAB_LABEL}.role={role}",
            "-v", f"{host_dir}:{_SOCK_IN_NODE}",
            NODE_IMAGE, f"--host=unix://{_SOCK_IN_NODE}/docker.sock",
        ])
        nodes.append(LabNode(name, role, ip, str(host_dir / "docker.sock")))
    for n in nodes:
        _wait(f"node {n.name} answering", lambda n=n: _answers(n), 60)  # type: ignore[misc]
    step("nodes", t)
    lab = Lab(spec, tuple(nodes), APP_IMAGE, timings)

    t = time.monotonic()
    first = lab.managers[0]
    _cli(engine, ["swarm", "init", "--advertise-addr", first.ip, "--listen-addr", f"{first.ip}:2377"],
         host=first.url)
    tokens = {role: _cli(engine, ["swarm", "join-token", "-q", role], host=first.url)
              for role in ("manager", "worker")}
    for n in nodes[1:]:
        _cli(engine, ["swarm", "join", "--token", tokens[n.role], "--advertise-addr", n.ip,
                      f"{first.ip}:2377"], host=n.url, timeout=timedelta(seconds=60))
    wait_all_ready(lab)
    step("swarm", t)

    t = time.monotonic()
    load_image(engine, lab, APP_IMAGE)
    step("app image", t)
    timings["total"] = round(time.monotonic() - t_all, 2)
    return Lab(spec, tuple(nodes), APP_IMAGE, timings)


def wait_all_ready(lab: Lab, timeout: float = 90, via: LabNode | None = None) -> None:
    """Until every node is Ready and every manager reachable (asked of one manager)."""
    target = via or lab.managers[0]

    def ready() -> bool:
        eng = node_engine(target)
        try:
            nodes = eng.nodes()
        finally:
            eng.close()
        return len(nodes) == len(lab.nodes) and all(
            n.state == "ready" and (not n.is_manager or n.reachable) for n in nodes
        )

    _wait("all nodes ready", ready, timeout, 0.3)


def load_image(engine: Engine, lab: Lab, image: str) -> None:
    """``docker save`` once on the host, ``docker load`` into every node in parallel."""
    tar = lab.spec.sock_dir / "image.tar"
    _cli(engine, ["save", "-o", str(tar), image], timeout=timedelta(minutes=2))
    errors: list[str] = []

    def load(n: LabNode) -> None:
        try:
            _cli(engine, ["load", "-q", "-i", str(tar)], host=n.url, timeout=timedelta(minutes=2))
        except DocklineError as e:
            errors.append(f"{n.name}: {e.message}")

    threads = [threading.Thread(target=load, args=(n,)) for n in lab.nodes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    tar.unlink(missing_ok=True)
    if errors:
        raise EngineError("lab: loading the app image failed: " + "; ".join(errors))


def down(engine: Engine, spec: LabSpec | None = None) -> float:
    """Remove this lab's containers (with their volumes), network and sockets."""
    spec = spec or LabSpec.from_env()
    t = time.monotonic()
    ids = _cli(engine, ["ps", "-aq", "--filter", f"label={NAME_LABEL}={spec.prefix}",
                        "--filter", f"label={LAB_LABEL}=1"]).split()
    if ids:
        _cli(engine, ["rm", "-f", "-v", *ids], timeout=timedelta(minutes=2))
    nets = _cli(engine, ["network", "ls", "-q", "--filter", f"label={NAME_LABEL}={spec.prefix}",
                         "--filter", f"name={spec.network}"]).split()
    if nets:
        _cli(engine, ["network", "rm", *nets], check=False)
    if spec.sock_dir.is_dir() and spec.sock_dir.name == spec.prefix:
        shutil.rmtree(spec.sock_dir, ignore_errors=True)
    return time.monotonic() - t


# --------------------------------------------------------------------------- faults
def stop_node(engine: Engine, node: LabNode, *, kill: bool = False) -> None:
    """Stop (SIGTERM, 5 s grace) or kill a node's container."""
    if kill:
        _cli(engine, ["kill", node.name])
    else:
        _cli(engine, ["stop", "-t", "5", node.name])


def start_node(engine: Engine, node: LabNode) -> None:
    """Start a stopped node and wait until its engine answers again."""
    _cli(engine, ["start", node.name])
    _wait(f"node {node.name} answering", lambda: _answers(node), 60)


def memory_mib(engine: Engine, lab: Lab) -> dict[str, float]:
    """Memory use of each node container (``docker stats``), in MiB."""
    out = _cli(engine, ["stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}",
                        *[n.name for n in lab.nodes]], timeout=timedelta(seconds=60))
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0, "kB": 1e3 / 2**20,
             "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}
    result = {}
    for line in out.splitlines():
        name, _, usage = line.partition("\t")
        amount = usage.split("/")[0].strip()
        for unit in sorted(units, key=len, reverse=True):
            if amount.endswith(unit):
                result[name] = round(float(amount[: -len(unit)]) * units[unit], 1)
                break
    return result
