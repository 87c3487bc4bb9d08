"""The router stack itself: build its image, deploy it, take it down, report on it.

The stack has two services on the router's overlay network (``<name>-net``):

* ``edge`` owns the published port (host mode here; see docs/router.md) and forwards
  every request to the router tasks, resolved per request; it is never reconfigured.
* ``nginx`` serves the routes; its configs are the bundle and change with every
  routing, through a start-first update the edge rides over.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dockline.errors import BuildFailed, EngineError, RouterError
from dockline.retry import Backoff, DeadlinePassed, poll_until
from dockline.router.apply import LABEL_KIND, LABEL_ROUTER, Bundle, Router, current_bundle
from dockline.router.render import render_edge
from dockline.router.routes import validate_port, validate_stack_name

if TYPE_CHECKING:
    from dockline.swarm.protocols import Images, Networks, ProbeEngine, RouterEngine, Services
    from dockline.swarm.wait import ProgressSnapshot, WaitOutcome

log = logging.getLogger("dockline.router")

DEFAULT_BASE = "nginx:1.27-bookworm"
IMAGE_REPO = "dockline/router"
LABEL_ROLE = "dockline.router.role"
#: The options and settings that choose the router's base image (cli/router.py, config.py).
BASE_IMAGE_HINT = ("where no public registry answers, use a local nginx image: `--base-image local/nginx:bookworm`"
                   " or `DOCKLINE_NGINX_IMAGE` (the setting router.base_image, DOCKLINE_ROUTER_BASE_IMAGE)")
_HALF_SECOND = Backoff(first=timedelta(seconds=0.5), factor=1.0, most=timedelta(seconds=0.5))
_EVERY_SECOND = Backoff(first=timedelta(seconds=1), factor=1.0, most=timedelta(seconds=1))


def data_dir() -> Path:
    return Path(str(resources.files("dockline") / "data" / "router"))


def image_tag(base: str) -> str:
    """``dockline/router:<digest of the build context and the base>``."""
    h = hashlib.sha256(base.encode())
    for p in sorted(data_dir().iterdir()):
        if p.name in ("Dockerfile", "router.conf", "routes.json"):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return f"{IMAGE_REPO}:{h.hexdigest()[:12]}"


def ensure_image(engine: Images, base: str | None = None,
                 on_line: Callable[[str], None] | None = None) -> str:
    """Build the router image unless it exists; returns its tag."""
    if not base:
        from dockline.config import router_settings  # the settings (file, env, alias) decide

        base = router_settings().base_image
    tag = image_tag(base)
    if engine.image(tag) is None:
        try:
            engine.build(str(data_dir()), tag=tag, buildargs={"NGINX_IMAGE": base}, on_line=on_line,
                         labels={LABEL_ROUTER: "image"})
        except BuildFailed as e:
            # The build context is dockline's own: what fails is getting the base image (no
            # public registry answers). The builder's last lines go to the log, not the hint.
            log.info("router image build output:\n%s", e.hint or "")
            raise BuildFailed(f"could not build the router image from {base}: {e.message}", BASE_IMAGE_HINT) from e
    return tag


def router_image(engine: Services, router: Router) -> str:
    """The image the running router service uses."""
    svc = engine.service(router.service)
    if svc is None:
        raise RouterError(f"router {router.name} is not running", "start it with `dockline router up`",
                          exit_code=3)
    return svc.image.split("@", 1)[0]


def probe_url(engine: ProbeEngine, router: Router, host: str | None = None,
              wait: timedelta = timedelta(seconds=30), *, clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> str | None:
    """``http://<host>:<edge published port>``: by default the address of a node running an
    edge task (the edge publishes in host mode); ``None`` when the edge publishes no port.

    While the edge task is moving (its node was drained or went down) no task runs for a
    moment: wait for one, bounded by ``wait``, instead of guessing the local address."""
    edge = engine.service(router.edge)
    if edge is None:
        return None
    port = next((p.published for p in edge.published_ports if p.target == 80 and p.published), None)
    if not port:
        return None
    if host is None:
        running: list[str] = []

        def edge_runs() -> bool | None:
            nonlocal running
            running = sorted(t.node_id for t in engine.tasks([edge.id])
                             if t.state == "running" and t.desired_state == "running" and t.node_id)
            return True if running else None

        with contextlib.suppress(DeadlinePassed):  # none in time: the local address
            poll_until(edge_runs, deadline=wait, what="an edge task to run", backoff=_HALF_SECOND,
                       clock=clock, sleep=sleep)
        node = engine.node(running[0]) if running else None
        host = node.addr if node is not None and node.addr else "127.0.0.1"
    return f"http://{host}:{port}"


def render_stack(router: Router, *, image: str, port: int, edge_config: str, bundle: Bundle,
                 labels: Mapping[str, str]) -> dict[str, Any]:
    """The router's stack file (package data) with dockline's values filled in. Pure."""
    doc = yaml.safe_load((data_dir() / "stack.yml").read_text())
    edge, nginx = doc["services"]["edge"], doc["services"]["nginx"]
    for svc, role in ((edge, "edge"), (nginx, "routes")):
        svc["image"] = image
        svc["deploy"]["labels"] = {**labels, LABEL_ROUTER: router.name, LABEL_ROLE: role}
    edge["ports"][0]["published"] = port
    doc["networks"]["router"]["name"] = router.network
    doc["configs"]["edge"]["name"] = edge_config
    # Keep the routes it serves: a re-run of `router up` must not drop them.
    mounts = []
    for i, (name, target) in enumerate(sorted(bundle.mounts)):
        key = f"route{i}"
        doc["configs"][key] = {"external": True, "name": name}
        mounts.append({"source": key, "target": target, "mode": 0o444})
    if mounts:
        nginx["configs"] = mounts
    return doc


@dataclass(frozen=True)
class RouterUp:
    """What `router up` did."""

    router: str
    image: str
    port: int
    outcome: WaitOutcome


def router_up(
    engine: RouterEngine,
    router: Router,
    *,
    port: int,
    base: str | None,
    timeout: timedelta,
    labels: Mapping[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RouterUp:
    """Build (if needed) and deploy the router stack; wait until it converges."""
    from dockline.swarm.wait import wait_services

    validate_stack_name(router.name)
    validate_port(port)
    engine.require_manager()
    image = ensure_image(engine, base, on_line)
    net_labels = {**(labels or {}), LABEL_ROUTER: router.name}
    ensure_network(engine, router, net_labels)
    edge_text = render_edge(router.service)
    edge_config = f"{router.name[:40]}-edg-{hashlib.sha256(edge_text.encode()).hexdigest()[:12]}"
    if engine.config_data(edge_config) is None:
        engine.create_config(edge_config, edge_text.encode(),
                             {**(labels or {}), LABEL_ROUTER: router.name, LABEL_KIND: "edge"})
    bundle = Bundle()
    if engine.service(router.service) is not None:
        bundle, _ = current_bundle(engine, router)
    doc = render_stack(router, image=image, port=port, edge_config=edge_config, bundle=bundle,
                       labels=labels or {})
    since = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="dockline-router-") as tmp:
        path = Path(tmp) / "router.yml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        tries = 0

        def deployed() -> bool | None:
            nonlocal tries
            tries += 1
            try:
                engine.stack_deploy(router.name, str(path), prune=False, with_registry_auth=False,
                                    resolve_image="never")
                return True
            except EngineError as e:
                # A network seen while another `router down` was removing it is gone by the
                # time the stack's external network is looked up ("declared as external, but
                # could not be found"): make it again, then retry.
                if ("not found" not in e.message and "could not be found" not in e.message) or tries == 5:
                    raise
                ensure_network(engine, router, net_labels)
                return None

        # five tries, a second apart; the fifth failure is raised (each CLI call is bounded at
        # 2 min, so this deadline is never what ends the tries)
        poll_until(deployed, deadline=timedelta(minutes=11), what=f"the router stack {router.name}",
                   backoff=_EVERY_SECOND, clock=clock, sleep=sleep)
    outcome = wait_services(engine, [router.edge, router.service], timeout, since=since,
                            on_progress=on_progress)
    return RouterUp(router.name, image, port, outcome)


def ensure_network(engine: Networks, router: Router, labels: Mapping[str, str]) -> None:
    """Make the router's overlay network unless it exists. One that another process created
    at the same moment is taken as made; a later "not found" at deploy calls this again."""
    if engine.network_id(router.network) is not None:
        return
    try:
        engine.create_overlay_network(router.network, labels)
    except EngineError as e:
        if "already exists" not in e.message.lower() and "conflict" not in e.message.lower():
            raise


def router_down(engine: RouterEngine, router: Router, timeout: timedelta = timedelta(seconds=60), *,
                clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> tuple[str, ...]:
    """Remove the router stack, its configs and its network, and wait (bounded by
    ``timeout``) until the engine no longer lists any of them, so a `router up` right after
    cannot see the network that is being removed. Returns the configs removed."""
    validate_stack_name(router.name)
    engine.stack_rm(router.name)
    removed: list[str] = []

    def gone() -> bool | None:
        left_services = engine.services(names=[router.edge, router.service])
        configs = [c for c in engine.configs(labels={LABEL_ROUTER: router.name})]
        for c in configs:
            if engine.remove_config(c.id):
                removed.append(c.name)
        if not left_services and engine.network_id(router.network) is not None:
            try:
                engine.remove_network(router.network)  # refused while tasks still hold it: next try
            except EngineError as e:
                # Listed by name, but the manager already dropped it ("network <id> not found",
                # HTTP 500): it is being removed; wait until it is no longer listed.
                if "not found" not in e.message:
                    raise
        # done only when the network is no longer listed: a removal that returned is not yet gone
        net_gone = engine.network_id(router.network) is None
        done = not left_services and net_gone and not engine.configs(labels={LABEL_ROUTER: router.name})
        return True if done else None

    try:
        poll_until(gone, deadline=timeout, what=f"router {router.name} to go", backoff=_HALF_SECOND,
                   clock=clock, sleep=sleep)
    except DeadlinePassed:
        raise RouterError(f"router {router.name} is not fully removed after {timeout.total_seconds():.0f}s",
                          "run `dockline router down` again") from None
    return tuple(removed)


@dataclass(frozen=True)
class RouterStatus:
    """What `router status` and `routes` show."""

    router: str
    running: bool
    image: str | None
    url: str | None
    version: str
    routes: tuple[dict[str, Any], ...]
    configs: tuple[str, ...]
    services: tuple[dict[str, Any], ...]


def router_status(engine: RouterEngine, router: Router) -> RouterStatus:
    svc = engine.service(router.service)
    if svc is None:
        return RouterStatus(router.name, False, None, None, "none", (), (), ())
    bundle, _ = current_bundle(engine, router)
    by_app = {e.file.app: e.config for e in bundle.entries if e.file.kind == "location"}
    routes = tuple(
        {"app": t.route.app, "path": t.route.path, "service": t.route.service, "mode": t.mode.value,
         "servers": list(t.servers), "config": by_app.get(t.route.app), "version": bundle.version}
        for t in sorted(bundle.table.targets, key=lambda t: t.route.path)
    )
    services = []
    for s in engine.services(names=[router.edge, router.service]):
        tasks = [t for t in engine.tasks([s.id]) if t.desired_state == "running"]
        services.append({"service": s.name, "running": sum(t.state == "running" for t in tasks),
                         "desired": s.replicas, "update": s.update.state if s.update else None})
    return RouterStatus(router.name, True, svc.image.split("@", 1)[0], probe_url(engine, router),
                        bundle.version, routes, bundle.names, tuple(services))
