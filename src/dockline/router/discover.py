"""Discovery: from an app's services to the upstream servers of its routes.

:func:`resolve_targets` is pure (services, tasks and nodes in, targets out);
:func:`discover_app` gathers those facts through the engine. Three target modes:

* **overlay** - the service joins the router's overlay network; the router names its
  tasks (``tasks.<service>:<port>``) and resolves them per request. No published port.
* **host** - a host-mode published port; one server per node running a task of the
  current spec that the swarm reports running (healthy, when it has a HEALTHCHECK).
* **ingress** - an ingress-published port (the talk's way); one server per node that can
  take traffic (ready and active), or the ``--target-host`` list.

``auto`` (the default) picks overlay when the service is on the router network, else
host when it publishes a host-mode port, else ingress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dockline.errors import RouteError
from dockline.router.routes import (
    Route,
    RouteTarget,
    TargetMode,
    check_conflicts,
    routes_from_labels,
    validate_host,
)
from dockline.swarm.model import (
    STACK_NAMESPACE_LABEL,
    NodeInfo,
    PublishedPort,
    ServiceInfo,
    TaskInfo,
)

if TYPE_CHECKING:
    from dockline.swarm.protocols import DiscoverEngine

DEFAULT_PORT = 80


@dataclass(frozen=True)
class ServiceFacts:
    """What routing needs to know about one service."""

    service: ServiceInfo
    networks: tuple[str, ...]  # network ids
    tasks: tuple[TaskInfo, ...]


def _pick_port(route: Route, ports: Sequence[PublishedPort], mode: str) -> PublishedPort:
    cands = [p for p in ports if p.mode == mode and p.protocol == "tcp" and p.published]
    if route.port is not None:
        cands = [p for p in cands if p.target == route.port]
    if not cands:
        want = f" for target port {route.port}" if route.port else ""
        raise RouteError(f"service {route.service} publishes no {mode}-mode tcp port{want}",
                         "publish the port, put the service on the router network, or set dockline.route.port")
    if len(cands) > 1:
        raise RouteError(
            f"service {route.service} publishes several {mode}-mode ports "
            f"({', '.join(str(p.target) for p in cands)})",
            "say which with the label dockline.route.port=<target port>",
        )
    return cands[0]


def resolve_target(
    route: Route,
    facts: ServiceFacts,
    nodes: Sequence[NodeInfo],
    router_network: str | None,
    target_hosts: Sequence[str] = (),
) -> RouteTarget:
    """The upstream servers of one route. Pure."""
    svc = facts.service
    on_router_net = router_network is not None and router_network in facts.networks
    mode = route.mode
    if mode is TargetMode.AUTO:
        if on_router_net:
            mode = TargetMode.OVERLAY
        elif any(p.mode == "host" for p in svc.published_ports):
            mode = TargetMode.HOST
        elif svc.published_ports:
            mode = TargetMode.INGRESS
        else:
            raise RouteError(
                f"service {svc.name} is neither on the router network nor publishing a port",
                "join the router's overlay network (external network in the stack file), or publish a port",
            )
    if mode is TargetMode.OVERLAY:
        if not on_router_net:
            raise RouteError(f"service {svc.name} is not on the router network",
                             "add the router's network to the service (external: true)")
        return RouteTarget(route, mode, (f"tasks.{svc.name}:{route.port or DEFAULT_PORT}",))
    hosts = tuple(validate_host(h, allow_port=False, what="target host") for h in target_hosts)
    if mode is TargetMode.HOST:
        port = _pick_port(route, svc.published_ports, "host")
        by_id = {n.id: n for n in nodes}
        running = sorted({t.node_id for t in facts.tasks
                          if t.node_id and t.desired_state == "running" and t.state == "running"
                          and t.spec_key == svc.task_spec_key})
        addrs = hosts or tuple(dict.fromkeys(by_id[n].addr for n in running if n in by_id and by_id[n].addr))
        note = None if addrs else "no running task: answers 502 until the next routing"
        return RouteTarget(route, mode, tuple(f"{a}:{port.published}" for a in addrs), note)
    port = _pick_port(route, svc.published_ports, "ingress")
    addrs = hosts or tuple(dict.fromkeys(
        n.addr for n in sorted(nodes, key=lambda n: n.hostname)
        if n.state == "ready" and n.availability == "active" and n.addr))
    return RouteTarget(route, mode, tuple(f"{a}:{port.published}" for a in addrs))


def routes_of_app(app: str, services: Sequence[ServiceInfo], extra: Sequence[Route] = ()) -> list[Route]:
    """Routes the app's services declare with labels, plus ``extra`` (command line);
    a command-line route replaces the label route of the same service."""
    cli_services = {r.service for r in extra}
    routes: list[Route] = []
    for svc in sorted(services, key=lambda s: s.name):
        if svc.name in cli_services:
            continue
        routes += routes_from_labels(app, svc.name, svc.labels)
    routes += list(extra)
    check_conflicts(routes)
    return routes


def resolve_targets(
    app: str,
    facts: Mapping[str, ServiceFacts],
    nodes: Sequence[NodeInfo],
    router_network: str | None,
    *,
    extra: Sequence[Route] = (),
    target_hosts: Sequence[str] = (),
) -> tuple[RouteTarget, ...]:
    """All route targets of one app. Pure."""
    routes = routes_of_app(app, [f.service for f in facts.values()], extra)
    out = []
    for r in routes:
        f = facts.get(r.service)
        if f is None:
            raise RouteError(f"app {app} has no service {r.service}",
                             f"services: {', '.join(sorted(facts)) or 'none'}")
        out.append(resolve_target(r, f, nodes, router_network, target_hosts))
    return tuple(out)


def discover_app(
    engine: DiscoverEngine,
    app: str,
    router_network: str | None,
    *,
    extra: Sequence[Route] = (),
    target_hosts: Sequence[str] = (),
) -> tuple[RouteTarget, ...]:
    """Read the app's services, tasks and the nodes, then :func:`resolve_targets`."""
    services = engine.services(labels={STACK_NAMESPACE_LABEL: app})
    tasks = engine.tasks([s.id for s in services]) if services else []
    facts = {
        s.name: ServiceFacts(s, engine.service_networks(s.id), tuple(t for t in tasks if t.service_id == s.id))
        for s in services
    }
    needs_nodes = any(p for s in services for p in s.published_ports)
    nodes = engine.nodes() if needs_nodes else []
    return resolve_targets(app, facts, nodes, router_network, extra=extra, target_hosts=target_hosts)
