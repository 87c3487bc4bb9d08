"""The mypy-checked proof that ``FakeSwarm`` satisfies every capability Protocol of
:mod:`dockline.swarm.protocols` (``tests/unit/swarm/test_fakeswarm.py`` runs mypy on this
file), as ``dockline/engine/conformance.py`` proves it for the real engine. A Protocol that
gains a method fails here until the fake models it."""

from __future__ import annotations

from dockline.swarm import protocols as p
from support.fakeswarm import FakeSwarm

_fake = FakeSwarm()

swarm_info: p.SwarmInfo = _fake
services: p.Services = _fake
wiring: p.ServiceWiring = _fake
tasks: p.Tasks = _fake
configs: p.Configs = _fake
secrets: p.Secrets = _fake
networks: p.Networks = _fake
nodes: p.Nodes = _fake
images: p.Images = _fake
containers: p.Containers = _fake
events: p.Events = _fake
stack_cli: p.StackCli = _fake
stream: p.EventStream = _fake.subscribe_events({})
wait_engine: p.WaitEngine = _fake
history_engine: p.HistoryEngine = _fake
plan_engine: p.PlanEngine = _fake
deploy_engine: p.DeployEngine = _fake
status_engine: p.StatusEngine = _fake
node_engine: p.NodeEngine = _fake
verify_engine: p.VerifyEngine = _fake
bundle_engine: p.BundleEngine = _fake
apply_engine: p.ApplyEngine = _fake
discover_engine: p.DiscoverEngine = _fake
probe_engine: p.ProbeEngine = _fake
router_engine: p.RouterEngine = _fake
pipeline_engine: p.PipelineEngine = _fake
