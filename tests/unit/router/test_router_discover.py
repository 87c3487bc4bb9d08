"""Discovery: the three target modes and their errors, from models only."""

from __future__ import annotations

import pytest

from dockline.errors import RouteError
from dockline.router.discover import ServiceFacts, resolve_target, resolve_targets
from dockline.router.routes import TargetMode, make_route
from dockline.swarm.model import NodeInfo, PublishedPort, ServiceInfo, TaskInfo

NET = "net-router"


def svc(name: str, ports: tuple[PublishedPort, ...] = (), labels: dict[str, str] | None = None) -> ServiceInfo:
    return ServiceInfo(id=f"id-{name}", name=name, labels=labels or {}, image="img", mode="replicated", replicas=2,
                       update=None, task_spec_key="k1", previous_task_spec_key=None, has_healthcheck=True,
                       restart_condition=None, restart_max_attempts=None, configs=(), secrets=(),
                       previous_configs=(), previous_secrets=(), published_ports=ports, created_at=None,
                       updated_at=None)


def node(i: int, state: str = "ready", availability: str = "active") -> NodeInfo:
    return NodeInfo(id=f"n{i}", hostname=f"node{i}", role="worker", availability=availability, state=state,
                    addr=f"10.0.0.{i}", engine_version="20.10", platform_os="linux", platform_arch="x86_64")


def task(node_id: str, state: str = "running", key: str = "k1") -> TaskInfo:
    return TaskInfo(id=f"t-{node_id}-{state}-{key}", service_id="id-app_web", slot=1, node_id=node_id,
                    desired_state="running", state=state, message="", error=None, timestamp=None,
                    container_id=None, exit_code=None, spec_key=key)


NODES = [node(1), node(2), node(3, state="down"), node(4, availability="drain")]
ROUTE = make_route("app", "app_web", "/app")


def test_auto_prefers_the_overlay_network() -> None:
    facts = ServiceFacts(svc("app_web", (PublishedPort(80, 30000, "tcp", "ingress"),)), (NET,), ())
    t = resolve_target(ROUTE, facts, NODES, NET)
    assert t.mode is TargetMode.OVERLAY and t.servers == ("tasks.app_web:80",)


def test_ingress_targets_every_node_that_takes_traffic_or_the_given_hosts() -> None:
    facts = ServiceFacts(svc("app_web", (PublishedPort(80, 30000, "tcp", "ingress"),)), (), ())
    t = resolve_target(ROUTE, facts, NODES, NET)
    assert t.mode is TargetMode.INGRESS and t.servers == ("10.0.0.1:30000", "10.0.0.2:30000")
    t = resolve_target(ROUTE, facts, NODES, NET, ["worker1", "worker2"])
    assert t.servers == ("worker1:30000", "worker2:30000")
    with pytest.raises(RouteError):
        resolve_target(ROUTE, facts, NODES, NET, ["evil;host"])


def test_host_mode_targets_nodes_running_current_healthy_tasks() -> None:
    facts = ServiceFacts(svc("app_web", (PublishedPort(80, 8081, "tcp", "host"),)), (),
                         (task("n1"), task("n2", state="starting"), task("n3", key="old"), task("n2", state="running")))
    t = resolve_target(ROUTE, facts, NODES, NET)
    assert t.mode is TargetMode.HOST and t.servers == ("10.0.0.1:8081", "10.0.0.2:8081")
    none = resolve_target(ROUTE, ServiceFacts(facts.service, (), ()), NODES, NET)
    assert none.servers == () and none.note


def test_several_ports_need_the_port_label() -> None:
    ports = (PublishedPort(80, 30000, "tcp", "ingress"), PublishedPort(9090, 30001, "tcp", "ingress"))
    facts = ServiceFacts(svc("app_web", ports), (), ())
    with pytest.raises(RouteError, match="several") as e:
        resolve_target(ROUTE, facts, NODES, NET)
    assert "dockline.route.port" in (e.value.hint or "")
    r = make_route("app", "app_web", "/app", port=9090)
    assert resolve_target(r, facts, NODES, NET).servers[0].endswith(":30001")


def test_unreachable_service_and_forced_overlay_are_refused() -> None:
    with pytest.raises(RouteError, match="neither"):
        resolve_target(ROUTE, ServiceFacts(svc("app_web"), (), ()), NODES, NET)
    forced = make_route("app", "app_web", "/app", mode="overlay")
    with pytest.raises(RouteError, match="not on the router network"):
        resolve_target(forced, ServiceFacts(svc("app_web"), (), ()), NODES, NET)


def test_labels_and_command_line_routes_together() -> None:
    facts = {
        "app_web": ServiceFacts(svc("app_web", labels={"dockline.route": "/app"}), (NET,), ()),
        "app_api": ServiceFacts(svc("app_api"), (NET,), ()),
    }
    extra = [make_route("app", "app_api", "/app/api", port=8080)]
    ts = resolve_targets("app", facts, NODES, NET, extra=extra)
    assert [(t.route.path, t.servers[0]) for t in ts] == [("/app/", "tasks.app_web:80"), ("/app/api/", "tasks.app_api:8080")]
    with pytest.raises(RouteError, match="no service app_db"):
        resolve_targets("app", facts, NODES, NET, extra=[make_route("app", "app_db", "/db")])
