"""Node models for the cluster unit tests."""

from __future__ import annotations

from dockline.swarm.model import ManagerStatus, NodeInfo


def node(
    hostname: str,
    role: str = "worker",
    *,
    labels: dict[str, str] | None = None,
    engine_labels: dict[str, str] | None = None,
    availability: str = "active",
    state: str = "ready",
    leader: bool = False,
    reachability: str = "reachable",
    addr: str = "10.0.0.1",
    os: str = "linux",
    arch: str = "x86_64",
    id: str | None = None,
    cpus: float = 0,
    memory: int = 0,
) -> NodeInfo:
    return NodeInfo(
        id=id or f"id{hostname}xxxxxxxxxxxxxxxxxxxx"[:25],
        hostname=hostname,
        role=role,
        availability=availability,
        state=state,
        addr=addr,
        engine_version="20.10.24",
        platform_os=os,
        platform_arch=arch,
        labels=dict(labels or {}),
        engine_labels=dict(engine_labels or {}),
        manager=ManagerStatus(leader, "reachable" if leader else reachability, addr + ":2377")
        if role == "manager"
        else None,
        nano_cpus=round(cpus * 1e9),
        memory_bytes=memory,
    )


def lab_nodes() -> list[NodeInfo]:
    """3 managers + 2 workers, labelled like the lab: m2 and w1 east, w2 west."""
    return [
        node("m1", "manager", leader=True, addr="10.1.0.11"),
        node("m2", "manager", labels={"zone": "east"}, addr="10.1.0.12"),
        node("m3", "manager", addr="10.1.0.13"),
        node("w1", labels={"zone": "east", "disk": "ssd"}, addr="10.1.0.21", engine_labels={"gpu": "yes"}),
        node("w2", labels={"zone": "west"}, addr="10.1.0.22", arch="aarch64"),
    ]


class Clock:
    """A fake monotonic clock whose ``sleep`` advances it."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s
