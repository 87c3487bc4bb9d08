"""``dockline demo up|down``: the talk's application behind the router, in one command.

``demo up`` writes dockline's image runtime into the example (``dockline scaffold``),
builds the three images of ``examples/eventpage`` (the event page, the
nearby-seismicity service, the catalog database) from the local base images, writes the
database secrets (once, into a private state folder), starts the router, deploys the
stack (``dockline deploy``: content-addressed secrets, waits on real health), routes it
(``dockline route``: the stack's ``dockline.route`` labels) and prints the URLs.
Every step is idempotent: a second ``demo up`` on a running demo rebuilds from cache,
deploys nothing new and finishes in seconds.

``demo down`` unroutes and removes the stack, its data volume and secrets (unless
``--keep-data``) and the router (unless it still routes other apps, or ``--keep-router``).

The plan (image tags, build arguments, variables, labels, URLs) is built by pure
functions below; the two commands only run it.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from dockline import output
from dockline.engine import Engine
from dockline.errors import DeployFailed, EnvironmentProblem, JobFailed, UsageError

T = TypeVar("T")

DEMO_LABEL = "dockline.demo"
DEFAULT_NAME = "eventpage"
DEFAULT_PORT = 8080
SECRET_FILES = ("db_admin_password", "db_password")
#: Images the examples build from on this kind of machine (scripts/testbed up builds them).
LOCAL_BASES = {
    "nginx": "local/nginx:bookworm",
    "python": "local/python:bookworm",
    "postgres": "local/postgres:bookworm",
}
PAGE_PATH = "/eventpage/"
SERVICE_PATH = "/ws/designmaps/"
NEARBY_QUERY = (
    "query?starttime=2018-08-08T02:33:28Z&endtime=2018-09-19T02:33:28Z"
    "&latitude=34.136&longitude=-117.775&maxradiuskm=250&minmagnitude=1.0"
)


# --------------------------------------------------------------------------- the plan (pure)
@dataclass(frozen=True)
class ImageBuild:
    """One image of the example."""

    key: str  # page | service | db
    dockerfile: str  # relative to the example folder (the build context)
    tag: str
    buildargs: Mapping[str, str]


@dataclass(frozen=True)
class DemoPlan:
    """Everything ``demo up`` will do, as data."""

    name: str
    router: str
    port: int
    example_dir: Path
    state_dir: Path
    images: tuple[ImageBuild, ...]
    labels: Mapping[str, str]
    nginx_image: str
    stack_files: tuple[Path, ...] = field(default=())

    @property
    def secrets_dir(self) -> Path:
        return self.state_dir / "secrets"

    @property
    def volume(self) -> str:
        return f"{self.name}_catalog"

    def tag(self, key: str) -> str:
        return next(i.tag for i in self.images if i.key == key)


def parse_labels(values: Sequence[str]) -> dict[str, str]:
    """``k=v`` options -> labels (exit 2 on a malformed one)."""
    labels: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key or any(c.isspace() for c in key):
            raise UsageError(f"--label {value!r}: should be KEY=VALUE")
        labels[key] = val
    return labels


def image_builds(name: str, version: str, bases: Mapping[str, str]) -> tuple[ImageBuild, ...]:
    """The three images, tagged ``dockline-demo/<name>-<key>:<version>``."""
    if not version or not all(c.isalnum() or c in "._-" for c in version) or len(version) > 64:
        raise UsageError(f"--image-version {version!r}: letters, digits, '.', '_' and '-' only")
    v = {"VERSION": version}
    return (
        ImageBuild("page", "page/Dockerfile", f"dockline-demo/{name}-page:{version}",
                   {"BASE_IMAGE": bases["nginx"], "BUILD_IMAGE": bases["python"], **v}),
        ImageBuild("service", "service/Dockerfile", f"dockline-demo/{name}-service:{version}",
                   {"BASE_IMAGE": bases["python"], **v}),
        ImageBuild("db", "db/Dockerfile", f"dockline-demo/{name}-db:{version}",
                   {"BASE_IMAGE": bases["postgres"], **v}),
    )


def stack_variables(plan: DemoPlan, router_network: str) -> dict[str, str]:
    """The stack file's variables."""
    return {
        "PAGE_IMAGE": plan.tag("page"),
        "SERVICE_IMAGE": plan.tag("service"),
        "DB_IMAGE": plan.tag("db"),
        "SECRETS_DIR": str(plan.secrets_dir),
        "ROUTER_NETWORK": router_network,
    }


def labels_override(doc: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A compose file that puts ``labels`` on every service, volume, secret and private
    network, config of ``doc`` (so `scripts/testbed down` and tests find what the demo made)."""
    lab = dict(labels)
    out: dict[str, Any] = {"version": doc.get("version", "3.8")}
    out["services"] = {s: {"deploy": {"labels": lab}} for s in (doc.get("services") or {})}
    for section in ("volumes", "configs", "secrets", "networks"):
        entries = {}
        for key, spec in (doc.get(section) or {}).items():
            if isinstance(spec, dict) and spec.get("external"):
                continue
            entries[key] = {"labels": lab}
        if entries:
            out[section] = entries
    return out


def demo_urls(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """What ``demo up`` prints."""
    base = f"http://{host}:{port}"
    return {
        "page": f"{base}{PAGE_PATH}",
        "service": f"{base}{SERVICE_PATH}",
        "nearby": f"{base}{SERVICE_PATH}{NEARBY_QUERY}",
    }


def default_state_dir(name: str, environ: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/dockline/demo/<name>`` (default ``~/.local/state/...``)."""
    root = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME", "~")).expanduser() / ".local" / "state")
    return Path(root) / "dockline" / "demo" / name


def find_example_dir(explicit: Path | None, cwd: Path) -> Path:
    """``examples/eventpage`` of this checkout (the demo runs from the repository)."""
    candidates = [explicit] if explicit is not None else [
        Path(__file__).resolve().parents[3] / "examples" / "eventpage",
        cwd / "examples" / "eventpage",
    ]
    for c in candidates:
        if c is not None and (c / "stack.yml").is_file() and (c / "page" / "Dockerfile").is_file():
            return c.resolve()
    raise UsageError(
        "cannot find examples/eventpage (its stack.yml and Dockerfiles)",
        "run from the dockline repository, or pass --example-dir",
    )


# --------------------------------------------------------------------------- steps (engine)
class Steps:
    """Times each step and says what it does."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def run(self, name: str, what: str, fn: Callable[[], T]) -> T:
        output.info(f"▸ {what}")
        t0 = time.monotonic()
        try:
            return fn()
        finally:
            self.timings[name] = round(time.monotonic() - t0, 2)


def ensure_secrets(secrets_dir: Path) -> list[str]:
    """Create the secret files that are missing (random, 0600, folder 0700); returns
    the names created. Existing files are kept: the data volume was initialised with them."""
    secrets_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir.chmod(0o700)
    created = []
    for name in SECRET_FILES:
        path = secrets_dir / name
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(24))
        created.append(name)
    return created


def _check_environment(eng: Engine, bases: Mapping[str, str]) -> None:
    eng.require_manager()
    missing = [ref for ref in bases.values() if not eng.image_exists(ref)]
    if missing:
        raise EnvironmentProblem(
            f"base image(s) not found: {', '.join(missing)}",
            "scripts/testbed up builds the local bases; or pass --nginx-image/--python-image/"
            "--postgres-image (e.g. the official nginx:1.27-bookworm where a registry is reachable)",
        )


def scaffold_runtime(example_dir: Path) -> tuple[str, ...]:
    """Write dockline's image runtime (sh probes, entrypoint) into the example's build
    context, as `dockline scaffold` does: the Dockerfiles copy it from ``dockline/``."""
    from dockline.entrypoint.scaffold import ScaffoldRequest, plan_scaffold, write_scaffold

    result = write_scaffold(example_dir, plan_scaffold(ScaffoldRequest(probe="none", entrypoint=False)),
                            force=True)
    return result.written


def _build(eng: Engine, plan: DemoPlan) -> dict[str, str]:
    ids = {}
    for img in plan.images:
        output.info(f"  building {img.tag} ({img.dockerfile})")
        ids[img.key] = eng.build(str(plan.example_dir), tag=img.tag, dockerfile=img.dockerfile,
                                 buildargs=dict(img.buildargs), labels=dict(plan.labels))
    return ids


def _deploy(eng: Engine, plan: DemoPlan, router_network: str, timeout: timedelta) -> Any:
    from dockline.stack.deploy import DeployOptions, deploy_stack
    from dockline.stack.wait import Converged, ProgressSnapshot

    seen: dict[str, str] = {}

    def progress(snap: ProgressSnapshot) -> None:
        for s in snap.services:
            line = f"{s.running}/{s.desired} running, {s.healthy} healthy, {s.verdict}"
            if seen.get(s.name) != line:
                seen[s.name] = line
                output.info(f"  {s.name}: {line} [{snap.elapsed.total_seconds():.1f}s]")

    environ = {**os.environ, **stack_variables(plan, router_network)}
    result = deploy_stack(eng, plan.name, list(plan.stack_files), environ=environ,
                          options=DeployOptions(resolve_image="never", timeout=timeout),
                          on_progress=progress, on_event=lambda m: output.info(f"  {m}"))
    o = result.outcome
    if not isinstance(o, Converged):
        reasons = "; ".join(getattr(o, "reasons", ())) or (o.kind if o is not None else "no outcome")
        raise DeployFailed(f"stack {plan.name} did not become healthy: {reasons}",
                           f"see `dockline status {plan.name}`; `dockline demo down` removes it")
    return result


def demo_up(eng: Engine, plan: DemoPlan, *, timeout: timedelta, bases: Mapping[str, str]) -> dict[str, Any]:
    """Run the whole main job; returns the report (URLs, timings)."""
    from dockline.router.apply import Router
    from dockline.router.flow import route_stack
    from dockline.router.stack import router_up

    steps = Steps()
    router = Router(plan.router)
    steps.run("check", "checking the engine, the swarm and the base images",
              lambda: _check_environment(eng, bases))
    steps.run("scaffold", "writing dockline's image runtime into the build context",
              lambda: scaffold_runtime(plan.example_dir))
    steps.run("build", "building the event page, service and database images", lambda: _build(eng, plan))
    created = steps.run("secrets", f"database secrets in {plan.secrets_dir}",
                        lambda: ensure_secrets(plan.secrets_dir))
    if created:
        output.info(f"  created {', '.join(created)} (random, mode 0600)")
    up = steps.run("router", f"router {router.name} on port {plan.port}",
                   lambda: router_up(eng, router, port=plan.port, base=plan.nginx_image, timeout=timeout,
                                     labels=dict(plan.labels)))
    if up.outcome.kind != "converged":
        raise DeployFailed(f"router {router.name} did not converge ({up.outcome.kind}): "
                           + "; ".join(getattr(up.outcome, "reasons", ())))
    result = steps.run("deploy", f"deploying stack {plan.name}",
                       lambda: _deploy(eng, plan, router.network, timeout))
    routed = steps.run("route", f"routing {PAGE_PATH} and {SERVICE_PATH} through the router",
                       lambda: route_stack(eng, plan.name, router=router,
                                           on_step=lambda m: output.info(f"  {m}")))
    steps.timings["total"] = round(sum(steps.timings.values()), 2)
    return {
        "stack": plan.name,
        "router": router.name,
        "version": result.version,
        "router_bundle": getattr(routed, "version", None),
        "images": {i.key: i.tag for i in plan.images},
        "urls": demo_urls(plan.port),
        "timings": steps.timings,
    }


def demo_down(eng: Engine, plan: DemoPlan, *, keep_data: bool, keep_router: bool,
              images: bool, timeout: timedelta) -> dict[str, Any]:
    """Undo ``demo_up``; returns what was removed."""
    from dockline.router.apply import Router
    from dockline.router.flow import unroute_stack
    from dockline.router.stack import router_down, router_status
    from dockline.stack.deploy import remove_stack

    steps = Steps()
    router = Router(plan.router)
    report: dict[str, Any] = {"stack": plan.name, "router": router.name}
    eng.require_manager()
    steps.run("unroute", f"unrouting {plan.name}",
              lambda: unroute_stack(eng, plan.name, router=router, probe=False,
                                    on_step=lambda m: output.info(f"  {m}")))
    removed = steps.run("rm", f"removing stack {plan.name}", lambda: remove_stack(eng, plan.name, timeout))
    report["leftovers"] = list(removed.leftovers)
    if not keep_data:
        def drop_data() -> bool:
            deadline = time.monotonic() + timeout.total_seconds()
            while not eng.remove_volume(plan.volume):
                if time.monotonic() > deadline:
                    return False
                time.sleep(1)
            for name in SECRET_FILES:
                (plan.secrets_dir / name).unlink(missing_ok=True)
            return True

        if not steps.run("data", f"removing volume {plan.volume} and the secrets", drop_data):
            report["leftovers"].append(f"volume {plan.volume} (still in use)")
    if not keep_router:
        status = router_status(eng, router)
        others = sorted({str(r.get("app")) for r in status.routes if r.get("app") != plan.name})
        if others:
            output.info(f"  keeping router {router.name}: it still routes {', '.join(others)}")
            report["router_kept"] = others
        elif status.running or status.configs:
            steps.run("router", f"removing router {router.name}", lambda: router_down(eng, router))
    if images:
        for img in plan.images:
            eng.remove_image(img.tag, force=True)
        report["images_removed"] = [i.tag for i in plan.images]
    report["timings"] = steps.timings
    return report


# --------------------------------------------------------------------------- commands
def _plan(name: str, router: str, port: int, image_version: str, bases: Mapping[str, str],
          example_dir: Path | None, state_dir: Path | None, labels: Sequence[str]) -> DemoPlan:
    example = find_example_dir(example_dir, Path.cwd())
    from dockline.stack.deploy import check_stack_name

    check_stack_name(name)
    lab = {DEMO_LABEL: name, **parse_labels(labels)}
    stack = example / "stack.yml"
    state = state_dir if state_dir is not None else default_state_dir(name, os.environ)
    return DemoPlan(name=name, router=router, port=port, example_dir=example, state_dir=state.resolve(),
                    images=image_builds(name, image_version, bases), labels=lab,
                    nginx_image=bases["nginx"], stack_files=(stack,))


def _write_override(plan: DemoPlan) -> DemoPlan:
    doc = yaml.safe_load(plan.stack_files[0].read_text(encoding="utf-8")) or {}
    plan.state_dir.mkdir(parents=True, exist_ok=True)
    path = plan.state_dir / "labels.override.yml"
    path.write_text("# written by `dockline demo up`: labels on everything the demo creates\n"
                    + yaml.safe_dump(labels_override(doc, plan.labels), sort_keys=False), encoding="utf-8")
    return replace(plan, stack_files=(plan.stack_files[0], path))


def _common(f: Any) -> Any:
    f = click.option("--name", default=DEFAULT_NAME, show_default=True, help="Stack name.")(f)
    f = click.option("--router", "router_name", envvar="DOCKLINE_ROUTER", default="dockline-router",
                     show_default=True, help="Router stack name (env DOCKLINE_ROUTER).")(f)
    f = click.option("--example-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="The example folder (default: examples/eventpage of this checkout).")(f)
    f = click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Where the secrets live (default $XDG_STATE_HOME/dockline/demo/NAME).")(f)
    f = click.option("--image-version", default="1", show_default=True, help="Tag (and VERSION) of the images.")(f)
    f = click.option("--timeout", default=300.0, show_default=True, type=float,
                     help="Seconds to wait for each deploy to become healthy.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")(f)
    return f


def _bases(nginx: str, python: str, postgres: str) -> dict[str, str]:
    return {"nginx": nginx, "python": python, "postgres": postgres}


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
           timeout: float, as_json: bool, port: int, nginx_image: str, python_image: str,
           postgres_image: str, labels: tuple[str, ...]) -> None:
    """Build, deploy and route the event page stack; print its URLs.

    Needs a Docker engine that is a swarm manager and the base images
    (`scripts/testbed up` provides all of it on a fresh machine).
    """
    bases = _bases(nginx_image, python_image, postgres_image)
    plan = _write_override(_plan(name, router_name, port, image_version, bases, example_dir, state_dir, labels))
    eng = Engine.connect()
    t0 = time.monotonic()
    report = demo_up(eng, plan, timeout=timedelta(seconds=timeout), bases=bases)
    report["elapsed"] = round(time.monotonic() - t0, 2)
    if as_json:
        output.emit_json(report)
    urls = report["urls"]
    output.success(f"the event page is up ({report['elapsed']:.1f}s)")
    output.info(f"  page:    {urls['page']}")
    output.info(f"  service: {urls['service']}")
    output.info(f"  nearby:  {urls['nearby']}")
    output.info("  remove it with: dockline demo down"
                + (f" --name {name}" if name != DEFAULT_NAME else "")
                + (f" --router {router_name}" if router_name != "dockline-router" else ""))


@demo_group.command("down")
@_common
@click.option("--keep-data", is_flag=True, help="Keep the database volume and the secrets.")
@click.option("--keep-router", is_flag=True, help="Leave the router running.")
@click.option("--images", is_flag=True, help="Also remove the demo's images.")
def down_cmd(name: str, router_name: str, example_dir: Path | None, state_dir: Path | None, image_version: str,
             timeout: float, as_json: bool, keep_data: bool, keep_router: bool, images: bool) -> None:
    """Unroute and remove the stack, its data and (when it routes nothing else) the router."""
    plan = _plan(name, router_name, DEFAULT_PORT, image_version, LOCAL_BASES, example_dir, state_dir, ())
    eng = Engine.connect()
    report = demo_down(eng, plan, keep_data=keep_data, keep_router=keep_router, images=images,
                       timeout=timedelta(seconds=timeout))
    if as_json:
        output.emit_json(report)
    if report["leftovers"]:
        raise JobFailed(f"demo {name} removed, except: {', '.join(report['leftovers'])}",
                        "run `dockline demo down` again in a moment")
    output.success(f"demo {name} removed")


def register(cli: click.Group) -> None:
    cli.add_command(demo_group)
