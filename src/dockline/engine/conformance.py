"""The mypy-checked proof that :class:`Engine` satisfies every Protocol of
:mod:`dockline.swarm.protocols`: each assignment below fails ``mypy src`` when a method the
core calls is missing from the engine or its signature drifts. Never called; importing it
loads the engine (and the docker SDK)."""

from __future__ import annotations

from dockline.engine.client import Engine
from dockline.swarm import protocols as p


def conforms(engine: Engine) -> None:
    """Every capability and every combination, assigned from the real engine."""
    capabilities: tuple[object, ...] = ()
    swarm: p.SwarmInfo = engine
    services: p.Services = engine
    wiring: p.ServiceWiring = engine
    tasks: p.Tasks = engine
    configs: p.Configs = engine
    secrets: p.Secrets = engine
    networks: p.Networks = engine
    nodes: p.Nodes = engine
    images: p.Images = engine
    reader: p.ContainerReader = engine
    containers: p.Containers = engine
    events: p.Events = engine
    stack: p.StackCli = engine
    stream: p.EventStream = engine.subscribe_events({})
    wait: p.WaitEngine = engine
    history: p.HistoryEngine = engine
    plan: p.PlanEngine = engine
    deploy: p.DeployEngine = engine
    status: p.StatusEngine = engine
    node_engine: p.NodeEngine = engine
    verify: p.VerifyEngine = engine
    bundle: p.BundleEngine = engine
    apply: p.ApplyEngine = engine
    discover: p.DiscoverEngine = engine
    probe: p.ProbeEngine = engine
    router: p.RouterEngine = engine
    pipeline: p.PipelineEngine = engine
    image_store: p.ImageStore = engine
    volumes: p.Volumes = engine
    capabilities = (pipeline, image_store, volumes, swarm, services, wiring, tasks, configs, secrets, networks, nodes, images, reader,
                    containers, events, stack, stream, wait, history, plan, deploy, status, node_engine, verify,
                    bundle, apply, discover, probe, router)
    del capabilities
