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


def _pick_port(route: Route, ports: Sequence[PublishedPort], mode: str, *, assigned: bool = True) -> PublishedPort:
    # ``assigned=False``: ports of a stack file, whose published port the swarm may pick later
    cands = [p for p in ports if p.mode == mode and p.protocol == "tcp" and (p.published or not assigned)]
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


def choose_mode(route: Route, on_router_net: bool, ports: Sequence[PublishedPort]) -> TargetMode:
    """How the router reaches ``route.service`` (``auto`` decided). Pure; the one rule both
    the check before a deploy (:func:`check_planned_routes`) and discovery after it apply.
    Raises :class:`RouteError` when the service cannot be reached."""
    mode = route.mode
    if mode is TargetMode.AUTO:
        if on_router_net:
            return TargetMode.OVERLAY
        if any(p.mode == "host" for p in ports):
            return TargetMode.HOST
        if ports:
            return TargetMode.INGRESS
        raise RouteError(
            f"service {route.service} is neither on the router network nor publishing a port",
            "join the router's overlay network (external network in the stack file), or publish a port",
        )
    if mode is TargetMode.OVERLAY and not on_router_net:
        raise RouteError(f"service {route.service} is not on the router network",
                         "add the router's network to the service (external: true)")
    return mode


@dataclass(frozen=True)
class PlannedService:
    """A service as a stack file declares it: what routing needs before it is deployed."""

    name: str  # ``<stack>_<service>``
    labels: Mapping[str, str]  # its deploy labels
    networks: tuple[str, ...]  # network names
    ports: tuple[PublishedPort, ...]  # published 0: the swarm picks one


def _labels(raw: object) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    for item in raw if isinstance(raw, list) else []:
        key, _, value = str(item).partition("=")
        out[key] = value
    return out


def _ports(raw: object) -> tuple[PublishedPort, ...]:
    out = []
    for p in raw if isinstance(raw, list) else []:
        if isinstance(p, Mapping):
            published = str(p.get("published") or "0").split("-", 1)[0]
            out.append(PublishedPort(int(str(p.get("target") or 0)), int(published) if published.isdigit() else 0,
                                     str(p.get("protocol") or "tcp"), str(p.get("mode") or "ingress")))
            continue
        text, _, proto = str(p).partition("/")
        parts = text.rsplit(":", 2)
        target = parts[-1].split("-", 1)[0]
        published = parts[-2].split("-", 1)[0] if len(parts) > 1 else "0"
        if target.isdigit():
            out.append(PublishedPort(int(target), int(published) if published.isdigit() else 0, proto or "tcp",
                                     "ingress"))
    return tuple(out)


def planned_services(app: str, doc: Mapping[str, object]) -> tuple[PlannedService, ...]:
    """The services of a resolved stack document (``stack.deploy.prepare``), named as the
    swarm will name them and their networks. Pure."""
    declared = doc.get("networks")
    nets: Mapping[str, object] = declared if isinstance(declared, Mapping) else {}
    services = doc.get("services")
    out = []
    for key, svc in (services if isinstance(services, Mapping) else {}).items():
        svc = svc if isinstance(svc, Mapping) else {}
        deploy = svc.get("deploy")
        raw_nets = svc.get("networks") or ["default"]
        names = []
        for n in raw_nets if isinstance(raw_nets, (list, Mapping)) else []:
            spec = nets.get(str(n))
            spec = spec if isinstance(spec, Mapping) else {}
            external = spec.get("external")
            names.append(str(spec.get("name") or (n if external else f"{app}_{n}")))
        out.append(PlannedService(f"{app}_{key}", _labels(deploy.get("labels") if isinstance(deploy, Mapping) else None),
                                  tuple(names), _ports(svc.get("ports"))))
    return tuple(out)


def check_planned_routes(app: str, services: Sequence[PlannedService], router_network: str) -> tuple[Route, ...]:
    """The routes a stack file declares, checked as discovery will check them once it is
    deployed (valid labels, no path twice, every routed service reachable: on the router
    network or publishing a port of the route's mode). Pure; raises :class:`RouteError`."""
    routes: list[Route] = []
    by_name = {s.name: s for s in services}
    for svc in sorted(services, key=lambda s: s.name):
        routes += routes_from_labels(app, svc.name, svc.labels)
    check_conflicts(routes)
    for r in routes:
        svc = by_name[r.service]
        mode = choose_mode(r, router_network in svc.networks, svc.ports)
        if mode is not TargetMode.OVERLAY:
            _pick_port(r, svc.ports, mode.value, assigned=False)
    return tuple(routes)


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
    mode = choose_mode(route, on_router_net, svc.published_ports)
    if mode is TargetMode.OVERLAY:
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
