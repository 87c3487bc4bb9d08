"""Plan an image build: build args (with the Dockerfile's ARG defaults), target stage,
tags, and OCI labels filled from git and flags. Pure except :func:`git_facts`, which runs
git with argument lists in the build context."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from dockline.dockerfile.parser import parse
from dockline.errors import BadInputError, UsageError

OCI = "org.opencontainers.image."
_TAG = re.compile(
    r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"
)
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass(frozen=True)
class ArgDecl:
    """An ARG in the Dockerfile: ``stage`` is None for a global ARG (before the first FROM)."""

    name: str
    default: str | None
    stage: str | None
    line: int


@dataclass(frozen=True)
class ArgRow:
    """One row of the build-arg table: the file's default and the value passed."""

    name: str
    default: str | None
    value: str | None
    where: str  # "global" or the stage


@dataclass(frozen=True)
class GitFacts:
    """What git says about the build context (all ``None`` outside a repository)."""

    revision: str | None = None
    dirty: bool = False
    source: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class BuildPlan:
    """Everything the engine needs for one build."""

    context: str
    dockerfile: str | None
    tags: tuple[str, ...]
    buildargs: Mapping[str, str]
    target: str | None
    labels: Mapping[str, str]
    args: tuple[ArgRow, ...]
    unknown_args: tuple[str, ...]  # passed with --build-arg but declared by no ARG


def parse_pairs(values: Sequence[str], what: str) -> dict[str, str]:
    """``K=V`` flags into a dict (``K`` alone is an error)."""
    out: dict[str, str] = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key:
            raise UsageError(f"{what}: expected KEY=VALUE, got {v!r}")
        out[key] = val
    return out


def declared_args(dockerfile_text: str, path: str | None = None) -> tuple[tuple[ArgDecl, ...], tuple[str, ...]]:
    """The ARGs (in order) and the stage names of a Dockerfile."""
    df = parse(dockerfile_text, path)
    decls: list[ArgDecl] = []
    for ins in df.global_args:
        for name, default in ins.key_values:
            decls.append(ArgDecl(name, default, None, ins.pos.line))
    stages = []
    for st in df.stages:
        label = st.name_raw or st.name or f"#{st.index}"
        stages.append(st.name or "")
        for ins in st.instructions:
            if ins.keyword == "ARG":
                for name, default in ins.key_values:
                    decls.append(ArgDecl(name, default, label, ins.pos.line))
    return tuple(decls), tuple(s for s in stages if s)


def arg_rows(decls: Sequence[ArgDecl], passed: Mapping[str, str]) -> tuple[tuple[ArgRow, ...], tuple[str, ...]]:
    """Table rows (one per declaration) and the passed names no ARG declares."""
    rows = tuple(ArgRow(d.name, d.default, passed.get(d.name), d.stage or "global") for d in decls)
    declared = {d.name for d in decls}
    unknown = tuple(sorted(k for k in passed if k not in declared))
    return rows, unknown


def public_source(url: str | None) -> str | None:
    """A git remote as a browsable URL without credentials (``git@host:o/r.git`` ->
    ``https://host/o/r``); ``None`` for local paths."""
    if not url:
        return None
    u = url.strip()
    m = re.match(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)([\w./-]+?)(?:\.git)?/?$", u)
    if m and "://" not in u:
        return f"https://{m.group(1)}/{m.group(2)}"
    parts = urlsplit(u)
    if parts.scheme not in ("http", "https", "ssh", "git") or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port and parts.scheme in ("http", "https") else "")
    path = re.sub(r"\.git/?$", "", parts.path)
    return f"https://{host}{path}" if parts.scheme in ("ssh", "git") else f"{parts.scheme}://{host}{path}"


Runner = Callable[[Sequence[str], Path], str | None]


def _git(args: Sequence[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_facts(context: Path, run: Runner = _git) -> GitFacts:
    """Revision, dirtiness, remote and ``git describe`` of the build context."""
    revision = run(["rev-parse", "HEAD"], context)
    if not revision:
        return GitFacts()
    status = run(["status", "--porcelain", "--untracked-files=no"], context)
    remote = run(["config", "--get", "remote.origin.url"], context)
    version = run(["describe", "--tags", "--always", "--dirty"], context)
    return GitFacts(revision=revision, dirty=bool(status), source=public_source(remote), version=version)


def oci_labels(
    git: GitFacts,
    now: datetime,
    *,
    version: str | None = None,
    source: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``org.opencontainers.image.*`` from git, then flags (``--version``, ``--source``),
    then ``--label`` pairs, later winning."""
    labels: dict[str, str] = {
        OCI + "created": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if git.revision:
        labels[OCI + "revision"] = git.revision
    if git.source:
        labels[OCI + "source"] = git.source
    if git.version:
        labels[OCI + "version"] = git.version
    if source:
        labels[OCI + "source"] = source
    if version:
        labels[OCI + "version"] = version
    for k, v in (extra or {}).items():
        if not _LABEL_KEY.match(k):
            raise UsageError(f"--label: not a label key: {k!r}")
        labels[k] = v
    return labels


def plan_build(
    context: Path,
    *,
    dockerfile: Path | None,
    tags: Sequence[str],
    build_args: Mapping[str, str],
    target: str | None,
    labels: Mapping[str, str],
) -> BuildPlan:
    """Validate inputs against the Dockerfile (bad input: exit 2, nothing built)."""
    if not context.is_dir():
        raise BadInputError(f"{context}: not a directory (the build context)")
    df_path = dockerfile if dockerfile is not None else context / "Dockerfile"
    if not df_path.is_file():
        raise BadInputError(f"{df_path}: no such Dockerfile", "pass -f PATH")
    for t in tags:
        if not _TAG.match(t):
            raise UsageError(f"--tag: not an image reference: {t!r}")
    for k in build_args:
        if not _ARG_NAME.match(k):
            raise UsageError(f"--build-arg: not an ARG name: {k!r}")
    decls, stages = declared_args(df_path.read_text(errors="replace"), str(df_path))
    if target is not None and target.lower() not in stages:
        raise UsageError(
            f"--target {target}: no such stage in {df_path}",
            f"stages: {', '.join(stages) or '(none named)'}",
        )
    rows, unknown = arg_rows(decls, build_args)
    rel = None
    if dockerfile is not None:
        try:
            rel = str(df_path.resolve().relative_to(context.resolve()))
        except ValueError:
            raise BadInputError(f"{df_path}: the Dockerfile must be inside the build context") from None
    return BuildPlan(
        context=str(context),
        dockerfile=rel,
        tags=tuple(tags),
        buildargs=dict(build_args),
        target=target,
        labels=dict(labels),
        args=rows,
        unknown_args=unknown,
    )


def split_tag(ref: str) -> tuple[str, str]:
    """``repo[:tag]`` -> (repo, tag) with ``latest`` as the default tag."""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"
