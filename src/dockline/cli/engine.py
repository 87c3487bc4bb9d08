"""``dockline engine check``."""

from __future__ import annotations

import click

from dockline import output
from dockline.errors import NotSwarmManager, QuorumLost


@click.group("engine")
def engine_group() -> None:
    """The Docker engine dockline talks to."""


@engine_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--need-swarm/--no-need-swarm", default=True, show_default=True,
              help="Require a swarm manager (exit 3 otherwise).")
def check(as_json: bool, need_swarm: bool) -> None:
    """Report engine version, API version, swarm state and node role.

    Exit 0 when the engine answers (and is a swarm manager, unless --no-need-swarm),
    3 with the reason and a hint otherwise.
    """
    from dockline.engine import Engine

    eng = Engine.connect()
    info = eng.info()
    problem: Exception | None = None
    if need_swarm:
        try:
            eng.require_manager()
        except (NotSwarmManager, QuorumLost) as e:
            problem = e
    report = {
        "server_version": info.server_version,
        "api_version": info.api_version,
        "os": info.os,
        "swarm_state": info.swarm_state,
        "node_id": info.node_id,
        "node_role": info.node_role,
        "managers": info.managers,
        "nodes": info.nodes,
        "swarm_error": info.swarm_error,
        "ready": problem is None,
        "problem": None if problem is None else str(problem),
    }
    if as_json:
        output.emit_json(report)
    else:
        output.table(None, ["field", "value"], [[k, v] for k, v in report.items() if k != "problem"])
    if problem is not None:
        raise problem


def register(cli: click.Group) -> None:
    cli.add_command(engine_group)
