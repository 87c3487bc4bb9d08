"""The talk's application behind the router, in one call: ``demo_up`` and ``demo_down``.

``demo_up`` writes dockline's image runtime into the example (as ``dockline scaffold`` does),
builds the three images of ``examples/eventpage`` (the event page, the nearby-seismicity
service, the catalog database) from the local base images, writes the database secrets (once,
into a private state folder), starts the router, deploys the stack (content-addressed secrets,
waits on real health), routes it (the stack's ``dockline.route`` labels) and returns the URLs.
Every step is idempotent: a second ``demo_up`` on a running demo rebuilds from cache, deploys
nothing new and finishes in seconds.

``demo_down`` unroutes and removes the stack, its data volume and secrets (unless
``keep_data``) and the router (unless it still routes other apps, or ``keep_router``).

The plan (image tags, build arguments, variables, labels, URLs) is built by pure functions;
the two workflows only run it. ``dockline demo up|down`` (cli/demo.py) parses flags, calls
one of them and prints the report. Progress lines go to the ``say`` callback (the CLI passes
``output.info``); nothing here prints.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dockline.errors import DeployFailed, EnvironmentProblem, UsageError
from dockline.retry import Backoff, DeadlinePassed, poll_until

if TYPE_CHECKING:  # the docker SDK is imported by the command, not by importing this module
    from dockline.stack.deploy import DeployResult
    from dockline.swarm.protocols import PipelineEngine

T = TypeVar("T")
Say = Callable[[str], None]

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
EXAMPLE = Path("examples") / "eventpage"
#: How often ``demo_down`` retries removing the data volume while the stack's tasks let go of it.
VOLUME_BACKOFF = Backoff(first=timedelta(milliseconds=250), factor=1.5, most=timedelta(seconds=1))


def _quiet(_message: str) -> None:
    pass


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
    """Everything ``demo_up`` will do, as data."""

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


def _is_example(folder: Path) -> bool:
    return (folder / "stack.yml").is_file() and (folder / "page" / "Dockerfile").is_file()


def _checkout_of_package() -> Path | None:
    """The source checkout dockline is installed from (``pip install -e``), if any.

    The installer records it in the distribution's ``direct_url.json`` (PEP 610); a wheel
    installed from an index has none, and no example either (it is not packaged)."""
    import json
    from importlib.metadata import PackageNotFoundError, distribution
    from urllib.parse import unquote, urlparse

    try:
        text = distribution("dockline").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    try:
        url = urlparse(json.loads(text or "{}").get("url", ""))
    except (ValueError, AttributeError):
        return None
    return Path(unquote(url.path)) if url.scheme == "file" else None


def find_example_dir(explicit: Path | None, cwd: Path) -> Path:
    """``examples/eventpage`` of the repository: ``explicit`` when given; else the one in
    ``cwd`` or a folder above it (run from anywhere in a checkout); else the one in the
    checkout dockline is installed from."""
    if explicit is not None:
        candidates = [explicit]
    else:
        candidates = [folder / EXAMPLE for folder in (cwd, *cwd.resolve().parents)]
        checkout = _checkout_of_package()
        if checkout is not None:
            candidates.append(checkout / EXAMPLE)
    for c in candidates:
        if _is_example(c):
            return c.resolve()
    raise UsageError(
        "cannot find examples/eventpage (its stack.yml and Dockerfiles)",
        "run from the dockline repository, or pass --example-dir",
    )


def plan_demo(name: str, router: str, port: int, image_version: str, bases: Mapping[str, str], *,
              example_dir: Path | None, state_dir: Path | None, labels: Sequence[str],
              cwd: Path, environ: Mapping[str, str]) -> DemoPlan:
    """Check the input (exit 2, nothing touched) and build the plan."""
    from dockline.stack.deploy import check_stack_name

    example = find_example_dir(example_dir, cwd)
    check_stack_name(name)
    lab = {DEMO_LABEL: name, **parse_labels(labels)}
    state = state_dir if state_dir is not None else default_state_dir(name, environ)
    return DemoPlan(name=name, router=router, port=port, example_dir=example, state_dir=state.resolve(),
                    images=image_builds(name, image_version, bases), labels=lab,
                    nginx_image=bases["nginx"], stack_files=(example / "stack.yml",))


def write_labels_override(plan: DemoPlan) -> DemoPlan:
    """Write ``labels.override.yml`` into the state folder; the plan deploys it too."""
    import yaml

    doc = yaml.safe_load(plan.stack_files[0].read_text(encoding="utf-8")) or {}
    plan.state_dir.mkdir(parents=True, exist_ok=True)
    path = plan.state_dir / "labels.override.yml"
    path.write_text("# written by `dockline demo up`: labels on everything the demo creates\n"
                    + yaml.safe_dump(labels_override(doc, plan.labels), sort_keys=False), encoding="utf-8")
    return replace(plan, stack_files=(plan.stack_files[0], path))


# --------------------------------------------------------------------------- steps (engine)
class Steps:
    """Times each step and says what it does."""

    def __init__(self, say: Say = _quiet, clock: Callable[[], float] = time.monotonic) -> None:
        self.timings: dict[str, float] = {}
        self.say = say
        self.clock = clock

    def run(self, name: str, what: str, fn: Callable[[], T]) -> T:
        self.say(f"▸ {what}")
        t0 = self.clock()
        try:
            return fn()
        finally:
            self.timings[name] = round(self.clock() - t0, 2)


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


def check_environment(eng: PipelineEngine, bases: Mapping[str, str]) -> None:
    """A swarm manager with the base images (exit 3 otherwise)."""
    eng.require_manager()
    missing = [ref for ref in bases.values() if eng.image(ref) is None]
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


def build_images(eng: PipelineEngine, plan: DemoPlan, say: Say = _quiet) -> dict[str, str]:
    """Build the plan's images; returns their ids by key."""
    ids = {}
    for img in plan.images:
        say(f"  building {img.tag} ({img.dockerfile})")
        ids[img.key] = eng.build(str(plan.example_dir), tag=img.tag, dockerfile=img.dockerfile,
                                 buildargs=dict(img.buildargs), labels=dict(plan.labels))
    return ids


def deploy_demo(eng: PipelineEngine, plan: DemoPlan, router_network: str, timeout: timedelta, *,
                environ: Mapping[str, str], say: Say = _quiet) -> DeployResult:
    """Deploy the stack (its variables over ``environ``); raises ``DeployFailed`` unless healthy."""
    from dockline.stack.deploy import DeployOptions, deploy_stack
    from dockline.swarm.wait import Converged, ProgressSnapshot

    seen: dict[str, str] = {}

    def progress(snap: ProgressSnapshot) -> None:
        for s in snap.services:
            line = f"{s.running}/{s.desired} running, {s.healthy} healthy, {s.verdict}"
            if seen.get(s.name) != line:
                seen[s.name] = line
                say(f"  {s.name}: {line} [{snap.elapsed.total_seconds():.1f}s]")

    variables = {**environ, **stack_variables(plan, router_network)}
    result = deploy_stack(eng, plan.name, list(plan.stack_files), environ=variables,
                          options=DeployOptions(resolve_image="never", timeout=timeout),
                          on_progress=progress, on_event=lambda m: say(f"  {m}"))
    o = result.outcome
    if not isinstance(o, Converged):
        reasons = "; ".join(getattr(o, "reasons", ())) or (o.kind if o is not None else "no outcome")
        raise DeployFailed(f"stack {plan.name} did not become healthy: {reasons}",
                           f"see `dockline status {plan.name}`; `dockline demo down` removes it")
    return result


def demo_up(eng: PipelineEngine, plan: DemoPlan, *, timeout: timedelta, bases: Mapping[str, str],
            environ: Mapping[str, str], say: Say = _quiet,
            clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Run the whole main job; returns the report (URLs, timings, elapsed seconds).

    ``environ`` is the interpolation environment of the stack file (the demo's own variables
    win over it)."""
    from dockline.router.apply import Router
    from dockline.router.flow import route_stack
    from dockline.router.stack import router_up

    t0 = clock()
    steps = Steps(say, clock)
    router = Router(plan.router)
    steps.run("check", "checking the engine, the swarm and the base images",
              lambda: check_environment(eng, bases))
    steps.run("scaffold", "writing dockline's image runtime into the build context",
              lambda: scaffold_runtime(plan.example_dir))
    steps.run("build", "building the event page, service and database images",
              lambda: build_images(eng, plan, say))
    created = steps.run("secrets", f"database secrets in {plan.secrets_dir}",
                        lambda: ensure_secrets(plan.secrets_dir))
    if created:
        say(f"  created {', '.join(created)} (random, mode 0600)")
    up = steps.run("router", f"router {router.name} on port {plan.port}",
                   lambda: router_up(eng, router, port=plan.port, base=plan.nginx_image, timeout=timeout,
                                     labels=dict(plan.labels)))
    if up.outcome.kind != "converged":
        raise DeployFailed(f"router {router.name} did not converge ({up.outcome.kind}): "
                           + "; ".join(getattr(up.outcome, "reasons", ())))
    result = steps.run("deploy", f"deploying stack {plan.name}",
                       lambda: deploy_demo(eng, plan, router.network, timeout, environ=environ, say=say))
    routed = steps.run("route", f"routing {PAGE_PATH} and {SERVICE_PATH} through the router",
                       lambda: route_stack(eng, plan.name, router=router, on_step=lambda m: say(f"  {m}")))
    steps.timings["total"] = round(sum(steps.timings.values()), 2)
    return {
        "stack": plan.name,
        "router": router.name,
        "version": result.version,
        "router_bundle": getattr(routed, "version", None),
        "images": {i.key: i.tag for i in plan.images},
        "urls": demo_urls(plan.port),
        "timings": steps.timings,
        "elapsed": round(clock() - t0, 2),
    }


def remove_data(eng: PipelineEngine, plan: DemoPlan, timeout: timedelta, *,
                clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> bool:
    """Remove the data volume (retried while the stack's containers still hold it) and the
    secret files; ``False`` when the volume is still in use after ``timeout``."""
    try:
        poll_until(lambda: True if eng.remove_volume(plan.volume) else None, deadline=timeout,
                   what=f"removing volume {plan.volume}", backoff=VOLUME_BACKOFF, clock=clock, sleep=sleep)
    except DeadlinePassed:
        return False
    for name in SECRET_FILES:
        (plan.secrets_dir / name).unlink(missing_ok=True)
    return True


def demo_down(eng: PipelineEngine, plan: DemoPlan, *, keep_data: bool, keep_router: bool,
              images: bool, timeout: timedelta, say: Say = _quiet,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Undo ``demo_up``; returns what was removed (``leftovers``: what is still there)."""
    from dockline.router.apply import Router
    from dockline.router.flow import unroute_stack
    from dockline.router.stack import router_down, router_status
    from dockline.stack.deploy import remove_stack

    steps = Steps(say, clock)
    router = Router(plan.router)
    report: dict[str, Any] = {"stack": plan.name, "router": router.name}
    eng.require_manager()
    steps.run("unroute", f"unrouting {plan.name}",
              lambda: unroute_stack(eng, plan.name, router=router, probe=False,
                                    on_step=lambda m: say(f"  {m}")))
    removed = steps.run("rm", f"removing stack {plan.name}", lambda: remove_stack(eng, plan.name, timeout))
    report["leftovers"] = list(removed.leftovers)
    if not keep_data and not steps.run("data", f"removing volume {plan.volume} and the secrets",
                                       lambda: remove_data(eng, plan, timeout, clock=clock, sleep=sleep)):
        report["leftovers"].append(f"volume {plan.volume} (still in use)")
    if not keep_router:
        status = router_status(eng, router)
        others = sorted({str(r.get("app")) for r in status.routes if r.get("app") != plan.name})
        if others:
            say(f"  keeping router {router.name}: it still routes {', '.join(others)}")
            report["router_kept"] = others
        elif status.running or status.configs:
            steps.run("router", f"removing router {router.name}", lambda: router_down(eng, router))
    if images:
        for img in plan.images:
            eng.remove_image(img.tag, force=True)
        report["images_removed"] = [i.tag for i in plan.images]
    report["timings"] = steps.timings
    return report
