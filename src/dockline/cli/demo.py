"""``dockline demo up|down``: the talk's application behind the router, in one command.

The workflow (build, secrets, router, deploy, route; and its undo) is ``dockline.demo``;
this module parses the flags, calls it and prints the report.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from dockline import output
from dockline.cli._options import DURATION
from dockline.demo import DEFAULT_NAME, DEFAULT_PORT, LOCAL_BASES, DemoPlan, plan_demo
from dockline.errors import JobFailed

DEFAULT_ROUTER = "dockline-router"


def _common(f: Any) -> Any:
    f = click.option("--name", default=DEFAULT_NAME, show_default=True, help="Stack name.")(f)
    f = click.option("--router", "router_name", envvar="DOCKLINE_ROUTER", default=DEFAULT_ROUTER,
                     show_default=True, help="Router stack name (env DOCKLINE_ROUTER).")(f)
    f = click.option("--example-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="The example folder (default: examples/eventpage of this checkout).")(f)
    f = click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Where the secrets live (default $XDG_STATE_HOME/dockline/demo/NAME).")(f)
    f = click.option("--image-version", default="1", show_default=True, help="Tag (and VERSION) of the images.")(f)
    f = click.option("--timeout", default="5m", show_default=True, type=DURATION,
                     help="How long to wait for each deploy to become healthy (e.g. 300, 90s, 5m).")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")(f)
    return f


def _plan(name: str, router_name: str, port: int, image_version: str, bases: dict[str, str],
          example_dir: Path | None, state_dir: Path | None, labels: tuple[str, ...]) -> DemoPlan:
    return plan_demo(name, router_name, port, image_version, bases, example_dir=example_dir,
                     state_dir=state_dir, labels=labels, cwd=Path.cwd(), environ=os.environ)


@click.group("demo")
def demo_group() -> None:
    """The talk's application (event page, web service, database) behind the router."""


@demo_group.command("up")
@_common
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the router on 127.0.0.1 (host mode).")
@click.option("--nginx-image", default=LOCAL_BASES["nginx"], show_default=True, envvar="DOCKLINE_NGINX_IMAGE",
              help="nginx base (page and router).")
@click.option("--python-image", default=LOCAL_BASES["python"], show_default=True,
              help="python base (service, page builder stage).")
@click.option("--postgres-image", default=LOCAL_BASES["postgres"], show_default=True, help="postgres base.")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE",
              help="Extra label on everything the demo creates (repeatable).")
def up_cmd(name: str, router_name: str, example_dir: Path | None, state_dir: Path | None, image_version: str,
           timeout: timedelta, as_json: bool, port: int, nginx_image: str, python_image: str,
           postgres_image: str, labels: tuple[str, ...]) -> None:
    """Build, deploy and route the event page stack; print its URLs.

    Needs a Docker engine that is a swarm manager and the base images
    (`scripts/testbed up` provides all of it on a fresh machine).
    """
    from dockline.demo import demo_up, write_labels_override
    from dockline.engine import Engine

    bases = {"nginx": nginx_image, "python": python_image, "postgres": postgres_image}
    plan = write_labels_override(_plan(name, router_name, port, image_version, bases, example_dir, state_dir,
                                       labels))
    report = demo_up(Engine.connect(), plan, timeout=timeout, bases=bases, environ=os.environ, say=output.info)
    if as_json:
        output.emit_json(report)
    urls = report["urls"]
    output.success(f"the event page is up ({report['elapsed']:.1f}s)")
    output.info(f"  page:    {urls['page']}")
    output.info(f"  service: {urls['service']}")
    output.info(f"  nearby:  {urls['nearby']}")
    output.info("  remove it with: dockline demo down"
                + (f" --name {name}" if name != DEFAULT_NAME else "")
                + (f" --router {router_name}" if router_name != DEFAULT_ROUTER else ""))


@demo_group.command("down")
@_common
@click.option("--keep-data", is_flag=True, help="Keep the database volume and the secrets.")
@click.option("--keep-router", is_flag=True, help="Leave the router running.")
@click.option("--images", is_flag=True, help="Also remove the demo's images.")
def down_cmd(name: str, router_name: str, example_dir: Path | None, state_dir: Path | None, image_version: str,
             timeout: timedelta, as_json: bool, keep_data: bool, keep_router: bool, images: bool) -> None:
    """Unroute and remove the stack, its data and (when it routes nothing else) the router."""
    from dockline.demo import demo_down
    from dockline.engine import Engine

    plan = _plan(name, router_name, DEFAULT_PORT, image_version, LOCAL_BASES, example_dir, state_dir, ())
    report = demo_down(Engine.connect(), plan, keep_data=keep_data, keep_router=keep_router, images=images,
                       timeout=timeout, say=output.info)
    if as_json:
        output.emit_json(report)
    if report["leftovers"]:
        raise JobFailed(f"demo {name} removed, except: {', '.join(report['leftovers'])}",
                        "run `dockline demo down` again in a moment")
    output.success(f"demo {name} removed")


def register(cli: click.Group) -> None:
    cli.add_command(demo_group)
