"""The one place that converts between the engine's JSON and dockline's values: API dicts
to :mod:`dockline.swarm.model` types (no raw dict leaves ``engine/``), ``timedelta`` to
nanoseconds, RFC 3339 to ``datetime``, and label mappings to the engine's filters. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from dockline.swarm.model import (
    ConfigInfo,
    ContainerInfo,
    EngineEvent,
    EngineInfo,
    ImageHealthcheck,
    ImageInfo,
    ManagerStatus,
    NetworkInfo,
    NodeInfo,
    PublishedPort,
    SecretInfo,
    ServiceInfo,
    TaskInfo,
    UpdateStatus,
)


# --------------------------------------------------------------------------- scalars
def to_nanos(d: timedelta) -> int:
    """Docker's duration unit."""
    return int(d.total_seconds() * 1_000_000_000)


def from_nanos(n: int | None) -> timedelta | None:
    """Inverse of :func:`to_nanos`; ``None`` stays ``None``."""
    return None if n is None else timedelta(microseconds=n / 1000)


def parse_time(value: str | None) -> datetime | None:
    """Docker's RFC 3339 timestamps with nanoseconds."""
    if not value or value.startswith("0001-01-01"):
        return None
    v = value.rstrip("Z")
    if "." in v:
        head, frac = v.split(".", 1)
        tz = ""
        for sep in ("+", "-"):
            if sep in frac:
                frac, tz = frac.split(sep, 1)
                tz = sep + tz
                break
        v = f"{head}.{frac[:6]}{tz}"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def label_filter(labels: Mapping[str, str] | None) -> dict[str, list[str]]:
    """``{"k": "v"}`` / ``{"k": ""}`` (presence) as the engine's label filter; ``{}`` for none."""
    return {"label": [f"{k}={v}" if v else k for k, v in labels.items()]} if labels else {}


# --------------------------------------------------------------------------- engine, containers, images
def engine_info(version: Mapping[str, Any], raw: Mapping[str, Any], api_version: str) -> EngineInfo:
    """``/version`` and ``/info`` as the facts ``dockline engine check`` reports."""
    swarm = raw.get("Swarm") or {}
    node_id = swarm.get("NodeID") or None
    control = bool(swarm.get("ControlAvailable"))
    role = None
    if swarm.get("LocalNodeState") == "active":
        role = "manager" if control else "worker"
    return EngineInfo(
        server_version=str(version.get("Version", "?")),
        api_version=api_version,
        os=f"{version.get('Os', '?')}/{version.get('Arch', '?')}",
        swarm_state=str(swarm.get("LocalNodeState") or "inactive"),
        node_id=node_id,
        node_role=role,
        control_available=control,
        swarm_error=(swarm.get("Error") or None),
        managers=swarm.get("Managers"),
        nodes=swarm.get("Nodes"),
        system_time=parse_time(raw.get("SystemTime")),
    )


def container_info(raw: Mapping[str, Any]) -> ContainerInfo:
    state = raw.get("State") or {}
    health = state.get("Health") or None
    nets = ((raw.get("NetworkSettings") or {}).get("Networks")) or {}
    ports_raw = ((raw.get("NetworkSettings") or {}).get("Ports")) or {}
    ports: dict[str, tuple[str, ...]] = {}
    for k, v in ports_raw.items():
        ports[k] = tuple(f"{b.get('HostIp', '')}:{b.get('HostPort', '')}" for b in (v or []))
    return ContainerInfo(
        id=str(raw["Id"]),
        name=str(raw.get("Name", "")).lstrip("/"),
        image=str((raw.get("Config") or {}).get("Image", "")),
        status=str(state.get("Status", "")),
        exit_code=state.get("ExitCode"),
        health=(health or {}).get("Status"),
        health_log=tuple(str(h.get("Output", "")).strip() for h in ((health or {}).get("Log") or [])),
        labels=dict((raw.get("Config") or {}).get("Labels") or {}),
        ip_addresses={n: str(v.get("IPAddress", "")) for n, v in nets.items()},
        ports=ports,
        started_at=parse_time(state.get("StartedAt")),
        finished_at=parse_time(state.get("FinishedAt")),
        pid=state.get("Pid") or None,
    )

def image_info(raw: Mapping[str, Any]) -> ImageInfo:
    """One image inspect: id, labels, HEALTHCHECK, repo digests."""
    config = raw.get("Config") or {}
    return ImageInfo(
        id=str(raw["Id"]),
        labels=dict(config.get("Labels") or {}),
        healthcheck=image_healthcheck(config.get("Healthcheck") or None),
        repo_digests=tuple(str(d) for d in raw.get("RepoDigests") or ()),
    )


def image_healthcheck(hc: Mapping[str, Any] | None) -> ImageHealthcheck | None:
    """An image config's ``Healthcheck``; ``None`` when it has no test."""
    if not hc or not hc.get("Test"):
        return None
    return ImageHealthcheck(
        test=tuple(str(t) for t in hc.get("Test") or ()),
        interval=from_nanos(hc.get("Interval") or None),
        timeout=from_nanos(hc.get("Timeout") or None),
        start_period=from_nanos(hc.get("StartPeriod") or None),
        retries=hc.get("Retries") or None,
    )


# --------------------------------------------------------------------------- swarm objects
def spec_key(task_spec: Mapping[str, Any] | None) -> str:
    """Hash of a task template; a task carries the template it was made from
    (the service's copy adds the default ``Runtime``, which tasks omit)."""
    spec = {k: v for k, v in (task_spec or {}).items() if k != "Runtime"}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def refs(task_spec: Mapping[str, Any] | None, kind: str) -> tuple[str, ...]:
    cs = (task_spec or {}).get("ContainerSpec") or {}
    key = "ConfigName" if kind == "Configs" else "SecretName"
    return tuple(str(c.get(key, "")) for c in (cs.get(kind) or []))


def service_info(raw: Mapping[str, Any]) -> ServiceInfo:
    spec = raw.get("Spec") or {}
    tmpl = spec.get("TaskTemplate") or {}
    prev = (raw.get("PreviousSpec") or {}).get("TaskTemplate")
    cs = tmpl.get("ContainerSpec") or {}
    mode_raw = spec.get("Mode") or {}
    mode = "replicated"
    replicas: int | None = None
    if "Replicated" in mode_raw:
        replicas = int((mode_raw["Replicated"] or {}).get("Replicas", 1))
    elif "Global" in mode_raw:
        mode = "global"
    elif "ReplicatedJob" in mode_raw:
        mode = "replicated-job"
    elif "GlobalJob" in mode_raw:
        mode = "global-job"
    us = raw.get("UpdateStatus") or None
    update = None
    if us and us.get("State"):
        update = UpdateStatus(state=str(us["State"]), message=str(us.get("Message", "")),
                              started_at=parse_time(us.get("StartedAt")),
                              completed_at=parse_time(us.get("CompletedAt")))
    hc = cs.get("Healthcheck")
    has_hc: bool | None = None
    if hc and hc.get("Test"):
        has_hc = hc["Test"] != ["NONE"]
    rp = tmpl.get("RestartPolicy") or {}
    ports = tuple(
        PublishedPort(target=int(p.get("TargetPort", 0)), published=p.get("PublishedPort"),
                      protocol=str(p.get("Protocol", "tcp")), mode=str(p.get("PublishMode", "ingress")))
        for p in ((spec.get("EndpointSpec") or {}).get("Ports") or [])
    )
    return ServiceInfo(
        id=str(raw["ID"]),
        name=str(spec.get("Name", "")),
        labels=dict(spec.get("Labels") or {}),
        image=str(cs.get("Image", "")),
        mode=mode,
        replicas=replicas,
        update=update,
        task_spec_key=spec_key(tmpl),
        previous_task_spec_key=spec_key(prev) if prev else None,
        has_healthcheck=has_hc,
        restart_condition=rp.get("Condition"),
        restart_max_attempts=int(rp["MaxAttempts"]) if rp.get("MaxAttempts") else None,
        configs=refs(tmpl, "Configs"),
        secrets=refs(tmpl, "Secrets"),
        previous_configs=refs(prev, "Configs"),
        previous_secrets=refs(prev, "Secrets"),
        published_ports=ports,
        created_at=parse_time(raw.get("CreatedAt")),
        updated_at=parse_time(raw.get("UpdatedAt")),
    )


def task_info(raw: Mapping[str, Any]) -> TaskInfo:
    st = raw.get("Status") or {}
    cst = st.get("ContainerStatus") or {}
    return TaskInfo(
        id=str(raw["ID"]),
        service_id=str(raw.get("ServiceID", "")),
        slot=raw.get("Slot"),
        node_id=raw.get("NodeID") or None,
        desired_state=str(raw.get("DesiredState", "")),
        state=str(st.get("State", "")),
        message=str(st.get("Message", "")),
        error=st.get("Err") or None,
        timestamp=parse_time(st.get("Timestamp")),
        container_id=cst.get("ContainerID") or None,
        exit_code=cst.get("ExitCode"),
        spec_key=spec_key(raw.get("Spec")),
    )


def config_info(raw: Mapping[str, Any]) -> ConfigInfo:
    spec = raw.get("Spec") or {}
    return ConfigInfo(id=str(raw["ID"]), name=str(spec.get("Name", "")), labels=dict(spec.get("Labels") or {}),
                      created_at=parse_time(raw.get("CreatedAt")),
                      version=int((raw.get("Version") or {}).get("Index", 0)),
                      updated_at=parse_time(raw.get("UpdatedAt")))


def secret_info(raw: Mapping[str, Any]) -> SecretInfo:
    spec = raw["Spec"]
    return SecretInfo(id=str(raw["ID"]), name=str(spec["Name"]), labels=dict(spec.get("Labels") or {}),
                      created_at=parse_time(raw.get("CreatedAt")))


def network_info(raw: Mapping[str, Any]) -> NetworkInfo:
    return NetworkInfo(id=str(raw["Id"]), name=str(raw["Name"]), driver=str(raw.get("Driver", "")),
                       scope=str(raw.get("Scope", "")), labels=dict(raw.get("Labels") or {}))


def event(raw: Mapping[str, Any]) -> EngineEvent:
    """One decoded event of the engine's stream."""
    actor = raw.get("Actor") or {}
    return EngineEvent(
        type=str(raw.get("Type", "")),
        action=str(raw.get("Action", "")),
        actor_id=str(actor.get("ID", "")),
        attributes={str(k): str(v) for k, v in (actor.get("Attributes") or {}).items()},
        time=datetime.fromtimestamp(raw["timeNano"] / 1e9, tz=UTC) if raw.get("timeNano") else None,
    )


def node_info(raw: Mapping[str, Any]) -> NodeInfo:
    spec = raw.get("Spec") or {}
    desc = raw.get("Description") or {}
    status = raw.get("Status") or {}
    platform = desc.get("Platform") or {}
    eng = desc.get("Engine") or {}
    ms = raw.get("ManagerStatus")
    return NodeInfo(
        id=str(raw["ID"]),
        hostname=str(desc.get("Hostname", "")),
        role=str(spec.get("Role", "")),
        availability=str(spec.get("Availability", "")),
        state=str(status.get("State", "")),
        addr=str(status.get("Addr", "")),
        engine_version=str(eng.get("EngineVersion", "")),
        platform_os=str(platform.get("OS", "")),
        platform_arch=str(platform.get("Architecture", "")),
        labels=dict(spec.get("Labels") or {}),
        engine_labels=dict(eng.get("Labels") or {}),
        manager=None if not ms else ManagerStatus(
            leader=bool(ms.get("Leader")), reachability=str(ms.get("Reachability", "unknown")),
            addr=str(ms.get("Addr", ""))),
        version=int((raw.get("Version") or {}).get("Index", 0)),
        nano_cpus=int((desc.get("Resources") or {}).get("NanoCPUs") or 0),
        memory_bytes=int((desc.get("Resources") or {}).get("MemoryBytes") or 0),
    )
