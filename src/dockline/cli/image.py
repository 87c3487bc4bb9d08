"""``dockline build``, ``dockline verify`` and ``dockline scaffold``."""

from __future__ import annotations

import os
import shlex
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from dockline import output
from dockline.cli._options import DURATION
from dockline.cli._render_image import outcome_json, report
from dockline.entrypoint.scaffold import (
    HealthcheckTiming,
    ScaffoldRequest,
    plan_scaffold,
    write_scaffold,
)
from dockline.errors import UsageError, VerifyFailed
from dockline.image.build import git_facts, oci_labels, parse_pairs, plan_build, split_tag
from dockline.image.verify import VerifyRequest, verify_image


# --------------------------------------------------------------------------- build
@click.command("build")
@click.argument("context", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("-f", "--file", "dockerfile", type=click.Path(dir_okay=False, path_type=Path),
              help="Dockerfile (default CONTEXT/Dockerfile).")
@click.option("-t", "--tag", "tags", multiple=True, help="Name:tag for the image (repeatable).")
@click.option("--build-arg", "build_args", multiple=True, metavar="KEY=VALUE", help="Build argument (repeatable).")
@click.option("--target", default=None, help="Build up to this stage.")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="Extra label (repeatable; wins over git).")
@click.option("--version", "version", default=None, help="org.opencontainers.image.version (default: git describe).")
@click.option("--source", default=None, help="org.opencontainers.image.source (default: the git remote).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def build_cmd(context: Path, dockerfile: Path | None, tags: tuple[str, ...], build_args: tuple[str, ...],
              target: str | None, labels: tuple[str, ...], version: str | None, source: str | None,
              as_json: bool) -> None:
    """Build CONTEXT with build args, a target stage, tags and OCI labels from git.

    The ARG table shows each ARG's default in the Dockerfile and the value passed.
    """
    from dockline.engine import Engine

    extra = parse_pairs(labels, "--label")
    git = git_facts(context if context.is_dir() else Path("."))
    all_labels = oci_labels(git, datetime.now(UTC), version=version, source=source, extra=extra)
    plan = plan_build(context, dockerfile=dockerfile, tags=tags, build_args=parse_pairs(build_args, "--build-arg"),
                      target=target, labels=all_labels)
    if plan.args:
        output.table("build args", ["ARG", "stage", "default (Dockerfile)", "value"],
                     [[a.name, a.where, "(none)" if a.default is None else a.default,
                       "(default)" if a.value is None else a.value] for a in plan.args], stdout=False)
    for name in plan.unknown_args:
        output.warn(f"--build-arg {name}: no ARG {name} in the Dockerfile; it has no effect")
    if git.dirty:
        output.warn("the work tree has uncommitted changes: the revision label names the last commit")
    eng = Engine.connect()
    output.info(f"building {plan.context}" + (f" (target {plan.target})" if plan.target else ""))
    image_id = eng.build(plan.context, tag=plan.tags[0] if plan.tags else None, dockerfile=plan.dockerfile,
                         buildargs=plan.buildargs, labels=plan.labels, target=plan.target,
                         on_line=lambda s: output.info(f"  {s}") if s.strip() else None)
    for extra_tag in plan.tags[1:]:
        repo, tag = split_tag(extra_tag)
        eng.tag_image(image_id, repo, tag)
    output.success(f"built {image_id[:19]}" + (f" as {', '.join(plan.tags)}" if plan.tags else ""))
    if as_json:
        output.emit_json({"image_id": image_id, "tags": list(plan.tags), "target": plan.target,
                          "labels": dict(plan.labels), "build_args": dict(plan.buildargs)})


# --------------------------------------------------------------------------- push
@click.command("push")
@click.argument("images", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the pushed references and digests as JSON on stdout.")
def push_cmd(images: tuple[str, ...], as_json: bool) -> None:
    """Push IMAGES (REGISTRY/REPO:TAG) with the engine's stored credentials and print the
    digest each one has in the registry: deploy by digest, or check what --resolve-image
    will pin. Stops at the first failure (exit 1)."""
    from dockline.engine import Engine

    eng = Engine.connect()
    pushed = []
    for ref in images:
        if eng.image(ref) is None:
            raise UsageError(f"push {ref}: no such local image", "build or tag it first (dockline build -t REF)")
        output.info(f"pushing {ref}")
        digest = eng.push_image(ref, on_line=lambda s: output.info(f"  {s}"))
        repo, _tag = split_tag(ref)
        output.success(f"pushed {ref}: {repo}@{digest}")
        pushed.append({"image": ref, "digest": digest, "pinned": f"{repo}@{digest}"})
    if as_json:
        output.emit_json(pushed)


# --------------------------------------------------------------------------- verify
def _env_pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not key:
            raise UsageError(f"-e: expected KEY=VALUE or KEY, got {v!r}")
        if not sep:
            if key not in os.environ:
                raise UsageError(f"-e {key}: not set in this environment")
            val = os.environ[key]
        out[key] = val
    return out


def _ports(values: tuple[str, ...]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for v in values:
        host, sep, cont = v.rpartition(":")
        if not cont:
            raise UsageError(f"-p: expected [HOST_PORT:]CONTAINER_PORT[/proto], got {v!r}")
        if "/" not in cont:
            cont += "/tcp"
        num = cont.split("/", 1)[0]
        if not num.isdigit() or (sep and host and not host.isdigit()):
            raise UsageError(f"-p: expected [HOST_PORT:]CONTAINER_PORT[/proto], got {v!r}")
        out[cont] = int(host) if host else None
    return out


@click.command("verify")
@click.argument("image")
@click.option("-e", "--env", "env", multiple=True, metavar="KEY[=VALUE]", help="Environment variable (repeatable).")
@click.option("-p", "--publish", "publish", multiple=True, metavar="[HOST:]PORT", help="Publish a port (repeatable).")
@click.option("--health-cmd", default=None, help="Healthcheck to use when the image has none (a shell command).")
@click.option("--health-interval", default=None, type=DURATION,
              help="Run the healthcheck this often while verifying (e.g. 1s).")
@click.option("--timeout", "deadline", default="2m", show_default=True, type=DURATION, help="Give up after this long.")
@click.option("--smoke", default=None, help="Command to run in the container once healthy (no shell; quote it).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
def verify_cmd(image: str, env: tuple[str, ...], publish: tuple[str, ...], health_cmd: str | None,
               health_interval: timedelta | None, deadline: timedelta, smoke: str | None, as_json: bool) -> None:
    """Run IMAGE until its HEALTHCHECK says healthy (exit 0) or unhealthy, the container
    exits, or the deadline passes (exit 1, with the last healthcheck outputs and log tail).
    The container is removed either way. No HEALTHCHECK and no --health-cmd: exit 2."""
    from dockline.engine import Engine

    try:
        smoke_argv = tuple(shlex.split(smoke)) if smoke else ()
    except ValueError as e:
        raise UsageError(f"--smoke: {e}") from None
    req = VerifyRequest(
        image=image,
        name=f"dockline-verify-{uuid.uuid4().hex[:8]}",
        env=_env_pairs(env),
        ports=_ports(publish),
        labels={"dockline.verify": "1"},
        health_cmd=health_cmd,
        health_interval=health_interval,
        deadline=deadline,
        smoke=smoke_argv,
    )
    eng = Engine.connect()
    output.info(f"verifying {image} (deadline {req.deadline.total_seconds():g}s)")
    outcome = verify_image(eng, req, on_status=lambda s, log: output.info(f"  health: {s}"))
    if as_json:
        output.emit_json(outcome_json(outcome))
    report(outcome)
    if not outcome.ok:
        raise VerifyFailed(f"{image} did not verify ({type(outcome).__name__})")


# --------------------------------------------------------------------------- scaffold
@click.command("scaffold")
@click.argument("context", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--probe", type=click.Choice(["http", "tcp", "postgres", "none"]), default="http", show_default=True)
@click.option("--url", "probe_url", default=None, help="http probe: URL (default http://127.0.0.1:$PORT/).")
@click.option("--tcp", "probe_tcp", default=None, metavar="HOST:PORT", help="tcp probe: target.")
@click.option("--entrypoint/--no-entrypoint", default=True, show_default=True,
              help="Use dockline-entrypoint.sh (not for images with their own, like postgres).")
@click.option("--cmd", "cmd", default=None, help="The main command, written as exec-form CMD (shell-quoted).")
@click.option("--interval", default="20s", show_default=True, type=DURATION)
@click.option("--timeout", default="5s", show_default=True, type=DURATION)
@click.option("--start-period", default="60s", show_default=True, type=DURATION)
@click.option("--retries", type=int, default=3, show_default=True)
@click.option("--user", default=None, metavar="USER[:GROUP]",
              help="End with USER: entrypoint, main process and healthcheck run as this user.")
@click.option("--force", is_flag=True, help="Replace changed script files.")
def scaffold_cmd(context: Path, probe: str, probe_url: str | None, probe_tcp: str | None, entrypoint: bool,
                 cmd: str | None, interval: timedelta, timeout: timedelta, start_period: timedelta, retries: int,
                 user: str | None, force: bool) -> None:
    """Write the POSIX-sh probes and entrypoint into CONTEXT/dockline/ and print the
    Dockerfile lines that use them (stdout)."""
    if probe_url and probe != "http":
        raise UsageError("--url goes with --probe http")
    if probe_tcp and probe != "tcp":
        raise UsageError("--tcp goes with --probe tcp")
    try:
        argv = tuple(shlex.split(cmd)) if cmd else ()
    except ValueError as e:
        raise UsageError(f"--cmd: {e}") from None
    req = ScaffoldRequest(
        probe=probe,
        probe_arg=probe_url or probe_tcp,
        entrypoint=entrypoint,
        cmd=argv,
        timing=HealthcheckTiming(
            interval=interval,
            timeout=timeout,
            start_period=start_period,
            retries=retries,
        ),
        user=user,
    )
    plan = plan_scaffold(req)
    result = write_scaffold(context, plan, force=force)
    for p in result.written:
        output.success(f"wrote {context / p}")
    for p in result.unchanged:
        output.info(f"unchanged {context / p}")
    output.info("add these lines to the end of the Dockerfile's final stage:")
    output.emit_text("\n".join(plan.dockerfile_lines))


def register(cli: click.Group) -> None:
    cli.add_command(build_cmd)
    cli.add_command(verify_cmd)
    cli.add_command(push_cmd)
    cli.add_command(scaffold_cmd)
