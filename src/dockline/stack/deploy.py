"""Deploy, remove, roll back and inspect stacks.

``deploy_stack`` loads and validates the files (bad input: exit 2, nothing changed), gives
configs and secrets declared with ``file:`` content-addressed names (a changed file rotates
by a rolling update instead of failing on "only updates to Labels are allowed",
moby/moby#35048), checks placement, runs the pre hooks, records the resolved stack in the
swarm, applies it through the engine's own converter (``docker stack deploy``), waits for a
real verdict (``wait.wait_services``), then collects config/secret versions nothing uses and
runs the post hooks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from dockline.config import RESOLVE_IMAGE_MODES
from dockline.errors import DeployFailed, StackError
from dockline.retry import Backoff, DeadlinePassed, poll_until
from dockline.stack import compose, history, secretnames
from dockline.stack.hooks import Hook, HookRun, hooks_from_doc, run_hook
from dockline.stack.model import ObjectChange, Plan, ServiceChange
from dockline.stack.plan import make_plan
from dockline.swarm.model import STACK_NAMESPACE_LABEL
from dockline.swarm.protocols import DeployEngine, Nodes, StackCli, StatusEngine
from dockline.swarm.wait import (
    Converged,
    ProgressSnapshot,
    RolledBack,
    ServiceState,
    TimedOut,
    WaitOutcome,
    assess_service,
    wait_services,
)

log = logging.getLogger("dockline.stack.deploy")

DEFAULT_TIMEOUT = timedelta(minutes=5)
LABEL_STACK = "dockline.stack"
LABEL_VERSIONED = "dockline.versioned"
LABEL_KEY = "dockline.key"
MIN_VERSION = "3.8"
#: How often ``remove_stack`` looks whether the stack's objects are gone.
_REMOVE_POLL = Backoff(first=timedelta(seconds=0.25), factor=1.0, most=timedelta(seconds=0.25))
_STACK_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"


@dataclass(frozen=True)
class DeployOptions:
    """The talk's flags (``--prune --with-registry-auth --resolve-image always``) on by default."""

    prune: bool = True
    with_registry_auth: bool = True
    resolve_image: str = "always"
    timeout: timedelta = DEFAULT_TIMEOUT
    dry_run: bool = False
    hooks: tuple[Hook, ...] = ()  # from flags; the file's x-dockline hooks are added
    run_hooks: bool = True
    placement_check: bool = True  # refuse (exit 2) before applying when no node matches


@dataclass(frozen=True)
class ObjectVersion:
    """A config or secret with a content-addressed name."""

    kind: str  # config | secret
    key: str
    name: str
    content: bytes | None  # configs only (secrets' values never leave the file)


@dataclass(frozen=True)
class DeployResult:
    """What ``deploy_stack`` / ``rollback_stack`` did."""

    stack: str
    version: int | None  # None for a dry run
    plan: Plan
    outcome: WaitOutcome | None  # None for a dry run
    warnings: tuple[str, ...]
    services: tuple[str, ...]  # full swarm names
    collected: tuple[str, ...] = ()  # config/secret versions removed after success
    hooks: tuple[HookRun, ...] = ()
    elapsed: timedelta = timedelta(0)

    @property
    def exit_code(self) -> int:
        if self.outcome is None:
            return 0
        if any(not h.ok for h in self.hooks):
            return 1
        return self.outcome.exit_code


@dataclass(frozen=True)
class RemoveResult:
    """What ``remove_stack`` removed, and what is left when it ran out of time."""

    stack: str
    services: tuple[str, ...]
    networks: tuple[str, ...]
    configs: tuple[str, ...]
    secrets: tuple[str, ...]
    records: int
    leftovers: tuple[str, ...]
    elapsed: timedelta

    @property
    def complete(self) -> bool:
        return not self.leftovers


@dataclass(frozen=True)
class StackStatus:
    """One stack for ``dockline status``."""

    name: str
    services: tuple[ServiceStatus, ...]
    version: int | None
    outcome: str | None


@dataclass(frozen=True)
class TaskStatus:
    """One task for ``dockline status``."""

    id: str
    slot: int | None
    node_id: str | None
    state: str
    desired_state: str
    error: str | None
    current: bool  # made from the service's current spec


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    image: str
    mode: str
    state: ServiceState
    ports: tuple[str, ...] = field(default=())
    tasks: tuple[TaskStatus, ...] = field(default=())


# --------------------------------------------------------------------------- preparing the file
def check_stack_name(name: str) -> None:
    if not name or name[0] in "_.-" or any(c not in _STACK_NAME_CHARS for c in name) or len(name) > 40:
        raise StackError(f"invalid stack name {name!r}",
                         "use letters, digits, '_', '.', '-' (not first), at most 40 characters")


def version_objects(doc: Mapping[str, Any], stack: str, project_dir: Path, *,
                    secret_key: Callable[[], bytes] | None = None,
                    ) -> tuple[dict[str, Any], tuple[ObjectVersion, ...]]:
    """Give every config/secret declared with ``file:`` a content-addressed name, absolute
    paths and dockline labels. Returns the new document and the versions.

    Secrets are named with an HMAC under ``secret_key()`` (asked for only when the stack has a
    file-backed secret; see ``stack/secretnames.py``); without one, a throwaway key."""
    out = dict(doc)
    key_bytes: bytes | None = None
    versions: list[ObjectVersion] = []
    for kind, section in (("config", "configs"), ("secret", "secrets")):
        entries = dict(doc.get(section) or {})
        for key, spec in entries.items():
            spec = dict(spec or {})
            if spec.get("external") or "file" not in spec:
                continue
            path = (project_dir / str(spec["file"])).resolve()
            try:
                content = path.read_bytes()
            except OSError as e:
                raise StackError(f"{section}.{key}.file: cannot read {path}: {e.strerror}") from e
            if kind == "config":
                digest = hashlib.sha256(content).hexdigest()[:10]
            else:
                if key_bytes is None:
                    key_bytes = secret_key() if secret_key is not None else secretnames.throwaway_key()
                digest = secretnames.secret_digest(key_bytes, stack, key, content)
            base = str(spec.get("name") or f"{stack}_{key}")
            name = f"{base}-{digest}"
            if len(name) > 64:
                raise StackError(f"{section}.{key}: versioned name {name!r} is longer than 64 characters",
                                 "use a shorter stack name or `name:`")
            labels = compose._as_dict(spec.get("labels"))
            labels.update({LABEL_STACK: stack, LABEL_VERSIONED: "1", LABEL_KEY: f"{kind}:{key}"})
            spec.update({"name": name, "file": str(path), "labels": labels})
            entries[key] = spec
            versions.append(ObjectVersion(kind, key, name, content if kind == "config" else None))
        if entries:
            out[section] = entries
    return out, tuple(versions)


def absolutize(doc: Mapping[str, Any], project_dir: Path) -> dict[str, Any]:
    """Relative ``env_file`` and bind-mount paths made absolute (the resolved file lives elsewhere)."""
    out = dict(doc)
    services = {}
    for name, svc in (doc.get("services") or {}).items():
        svc = dict(svc or {})
        ef = svc.get("env_file")
        if ef is not None:
            svc["env_file"] = [str((project_dir / p).resolve()) for p in ([ef] if isinstance(ef, str) else ef)]
        vols = []
        for v in svc.get("volumes") or []:
            if isinstance(v, str) and v.startswith((".", "~")):
                src, sep, rest = v.partition(":")
                v = str(Path(os.path.expanduser(src)) if src.startswith("~") else (project_dir / src).resolve()) \
                    + sep + rest
            elif isinstance(v, dict) and v.get("type") == "bind" and str(v.get("source", "")).startswith("."):
                v = {**v, "source": str((project_dir / str(v["source"])).resolve())}
            vols.append(v)
        if vols:
            svc["volumes"] = vols
        services[name] = svc
    out["services"] = services
    return out


def swarm_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The file for the engine's converter: ignored keys out, ``$`` re-escaped, version >= 3.8."""
    out = compose.strip_ignored(doc)
    v = str(out.get("version") or "")
    try:
        newer = tuple(int(x) for x in v.split(".")) >= (3, 8)
    except ValueError:
        newer = False
    out["version"] = v if newer else MIN_VERSION
    out.pop("name", None)
    return compose.escape_dollars(out)


@dataclass(frozen=True)
class Prepared:
    """A stack ready to apply."""

    name: str
    doc: dict[str, Any]  # resolved, absolute paths, versioned names (not escaped)
    versions: tuple[ObjectVersion, ...]
    warnings: tuple[str, ...]
    hooks: tuple[Hook, ...]
    files: tuple[Path, ...]
    project_dir: Path

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(f"{self.name}_{s}" for s in (self.doc.get("services") or {}))


def prepare(name: str, files: Sequence[Path], *, env_files: Sequence[Path] = (),
            environ: Mapping[str, str] | None = None,
            secret_key: Callable[[], bytes] | None = None) -> Prepared:
    """Load, validate and version a stack; pure apart from reading the files (and
    ``secret_key``, called once the files are valid and only if a secret needs a name)."""
    check_stack_name(name)
    loaded = compose.load_stack(files, env_files=env_files, environ=os.environ if environ is None else environ)
    hooks = hooks_from_doc(loaded.doc)
    doc, versions = version_objects(loaded.doc, name, loaded.project_dir, secret_key=secret_key)
    doc = absolutize(compose.strip_ignored(doc), loaded.project_dir)
    return Prepared(name, doc, versions, loaded.warnings, hooks, loaded.files, loaded.project_dir)


# --------------------------------------------------------------------------- deploy
def deploy_stack(
    engine: DeployEngine,
    name: str,
    files: Sequence[Path],
    *,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
    options: DeployOptions = DeployOptions(),
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> DeployResult:
    """Deploy (or update) stack ``name`` from compose ``files`` and wait for the verdict.

    Raises ``StackError``/``InterpolationError``/``PlacementError`` (exit 2, nothing changed)
    for bad input, ``NotSwarmManager``/``EngineUnavailable`` (exit 3), ``DeployFailed``
    (exit 1) when a pre hook fails (nothing changed) or the engine refuses the stack.
    A failed, rolled-back or timed-out wait is a result, not an exception: see
    ``DeployResult.outcome`` and ``exit_code``.
    """
    missing_key = False

    def key() -> bytes:
        nonlocal missing_key
        found = secretnames.swarm_key(engine, create=False)
        missing_key = found is None
        return found or secretnames.throwaway_key()

    def with_swarm_key() -> Prepared:
        # The swarm has no secret-names key yet: make it at the last moment before the first
        # change (so exit 2 / a failed pre hook still mean nothing was changed) and name again.
        made = secretnames.made_key(engine)
        return prepare(name, files, env_files=env_files, environ=environ, secret_key=lambda: made)

    prepared = prepare(name, files, env_files=env_files, environ=environ, secret_key=key)
    return _apply(engine, prepared, options, source="deploy", on_progress=on_progress, on_event=on_event,
                  before_changes=with_swarm_key if missing_key else None)


def _apply(engine: DeployEngine, prepared: Prepared, options: DeployOptions, *, source: str,
           on_progress: Callable[[ProgressSnapshot], None] | None,
           on_event: Callable[[str], None] | None,
           before_changes: Callable[[], Prepared] | None = None) -> DeployResult:
    started = time.monotonic()
    say = on_event or (lambda _msg: None)
    name = prepared.name
    if options.resolve_image not in RESOLVE_IMAGE_MODES:
        raise StackError(f"--resolve-image {options.resolve_image!r}: should be one of {', '.join(RESOLVE_IMAGE_MODES)}")
    engine.require_manager()
    records = history.list_records(engine, name)
    previous_doc = history.read_record(engine, records[-1]).doc if records else None
    plan = make_plan(engine, prepared.name, prepared.doc, prepared.versions, previous_doc,
                     resolve_registry=options.resolve_image != "never", warnings=prepared.warnings)
    if options.dry_run:
        return DeployResult(name, None, plan, None, prepared.warnings, prepared.services,
                            elapsed=timedelta(seconds=time.monotonic() - started))
    if options.placement_check:
        _check_placement(engine, prepared.doc, say)
    version = (records[-1].version + 1) if records else 1
    hooks = (*options.hooks, *prepared.hooks) if options.run_hooks else ()
    runs: list[HookRun] = []
    for hook in (h for h in hooks if h.phase == "pre"):
        say(f"pre-deploy hook: {hook.describe()}")
        run = run_hook(hook, stack=name, version=version, files=prepared.files, cwd=prepared.project_dir)
        runs.append(run)
        if not run.ok:
            raise DeployFailed(f"pre-deploy hook failed (exit {run.exit_code}): {hook.describe()}; nothing was changed",
                               run.output[-2000:] or None)
    if before_changes is not None:
        prepared = before_changes()
        plan = make_plan(engine, prepared.name, prepared.doc, prepared.versions, previous_doc,
                         resolve_registry=options.resolve_image != "never", warnings=prepared.warnings)
    configs = {v.name: v.content for v in prepared.versions if v.kind == "config" and v.content is not None}
    record = history.write_record(engine, name, version, prepared.doc, configs, source)
    since = datetime.now(UTC)
    say(f"applying {name} (version {version})")
    try:
        _run_converter(engine, name, prepared.doc, options)
    except Exception:
        history.set_outcome(engine, record, "refused")
        raise
    outcome = wait_services(engine, prepared.services, options.timeout, on_progress=on_progress, since=since)
    history.set_outcome(engine, record, outcome.kind)
    collected: tuple[str, ...] = ()
    if isinstance(outcome, Converged):
        collected = collect_unused(engine, name)
        for hook in (h for h in hooks if h.phase == "post"):
            say(f"post-deploy hook: {hook.describe()}")
            runs.append(run_hook(hook, stack=name, version=version, files=prepared.files, cwd=prepared.project_dir))
    history.prune_records(engine, name)
    return DeployResult(name, version, plan, outcome, prepared.warnings, prepared.services, collected,
                        tuple(runs), timedelta(seconds=time.monotonic() - started))


def _run_converter(engine: StackCli, name: str, doc: Mapping[str, Any], options: DeployOptions) -> None:
    with tempfile.TemporaryDirectory(prefix="dockline-stack-") as tmp:
        path = Path(tmp) / f"{name}.yml"
        path.write_text(yaml.safe_dump(swarm_document(doc), sort_keys=False), encoding="utf-8")
        engine.stack_deploy(name, str(path), prune=options.prune, with_registry_auth=options.with_registry_auth,
                            resolve_image=options.resolve_image)


def _check_placement(engine: Nodes, doc: Mapping[str, Any], say: Callable[[str], None]) -> None:
    """Refuse a service no live node can take (exit 2), before anything changes."""
    from dockline.cluster import placement

    specs = {svc: spec if isinstance(spec, Mapping) else {} for svc, spec in (doc.get("services") or {}).items()}
    constraints = {
        svc: tuple(((spec.get("deploy") or {}).get("placement") or {}).get("constraints") or ())
        for svc, spec in specs.items()
    }
    demands = {svc: placement.demand_of(svc, spec) for svc, spec in specs.items()}
    if not any(constraints.values()) and all(d == placement.Demand(replicas=d.replicas) for d in demands.values()):
        return  # nothing to check: no constraint, no reservation, no per-node limit
    # raises PlacementError (exit 2): nothing changed yet
    placement.check_placement_live(constraints, engine.nodes, demands, on_wait=say)


def collect_unused(engine: DeployEngine, stack: str) -> tuple[str, ...]:
    """Remove config/secret versions of ``stack`` that no service's current or previous spec
    references (rollback needs the previous ones). Returns the removed names."""
    used: set[str] = set()
    for svc in engine.services(labels={STACK_NAMESPACE_LABEL: stack}):
        used.update(svc.configs, svc.secrets, svc.previous_configs, svc.previous_secrets)
    removed: list[str] = []
    labels = {LABEL_STACK: stack, LABEL_VERSIONED: "1"}
    for c in engine.configs(labels):
        if c.name not in used and engine.remove_config(c.id):
            removed.append(c.name)
    for s in engine.secrets(labels):
        if s.name not in used and engine.remove_secret(s.id):
            removed.append(s.name)
    return tuple(removed)


# --------------------------------------------------------------------------- rollback
def rollback_stack(engine: DeployEngine, name: str, *, to_version: int | None = None,
                   options: DeployOptions = DeployOptions(),
                   on_progress: Callable[[ProgressSnapshot], None] | None = None,
                   on_event: Callable[[str], None] | None = None) -> DeployResult:
    """Redeploy a previous record (default: the newest converged one before the current)."""
    check_stack_name(name)
    engine.require_manager()
    records = history.list_records(engine, name)
    target = history.rollback_target(records, to_version)
    if target is None:
        which = f"version {to_version}" if to_version is not None else "a previous deploy"
        raise StackError(f"stack {name} has no record of {which}", f"see `dockline history {name}`")
    data = history.read_record(engine, target)
    doc = dict(data.doc)
    existing_configs = {c.name for c in engine.configs({LABEL_STACK: name})}
    existing_secrets = {s.name for s in engine.secrets({LABEL_STACK: name})}
    for section, existing in (("configs", existing_configs), ("secrets", existing_secrets)):
        entries = {}
        for key, spec in (doc.get(section) or {}).items():
            spec = dict(spec or {})
            labels = compose._as_dict(spec.get("labels"))
            if labels.get(LABEL_VERSIONED) == "1":
                obj = str(spec["name"])
                if obj not in existing:
                    if section == "secrets" or obj not in data.configs:
                        raise StackError(f"{section}.{key}: version {obj} no longer exists",
                                         "redeploy from the files with `dockline deploy`")
                    engine.create_config(obj, data.configs[obj], {**labels, STACK_NAMESPACE_LABEL: name})
                spec = {"name": obj, "external": True}
            entries[key] = spec
        if entries:
            doc[section] = entries
    prepared = Prepared(name, doc, (), (), (), (), Path.cwd())
    return _apply(engine, prepared, options, source=f"rollback:{target.version}",
                  on_progress=on_progress, on_event=on_event)


# --------------------------------------------------------------------------- remove
def remove_stack(engine: DeployEngine, name: str, timeout: timedelta = timedelta(minutes=2),
                 *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> RemoveResult:
    """Remove a stack and wait (bounded) until its services, task containers and networks
    are gone; then its config/secret versions and deploy records."""
    check_stack_name(name)
    engine.require_manager()
    started = clock()
    ns = {STACK_NAMESPACE_LABEL: name}
    services = tuple(s.name for s in engine.services(labels=ns))
    networks = tuple(n.name for n in engine.networks(labels=ns))
    configs = tuple(c.name for c in engine.configs(ns))
    secrets = tuple(s.name for s in engine.secrets(ns))
    engine.stack_rm(name)
    leftovers: list[str] = []

    def gone() -> bool | None:
        nonlocal leftovers
        leftovers = [f"service {s.name}" for s in engine.services(labels=ns)]
        leftovers += [f"container {c.name}" for c in engine.containers(labels=ns)]
        if not leftovers:
            for n in engine.networks(labels=ns):
                engine.remove_network(n.id)
            for c in engine.configs(ns):
                engine.remove_config(c.id)
            for s in engine.secrets(ns):
                engine.remove_secret(s.id)
            leftovers = [f"network {n.name}" for n in engine.networks(labels=ns)]
            leftovers += [f"config {c.name}" for c in engine.configs(ns)]
            leftovers += [f"secret {s.name}" for s in engine.secrets(ns)]
        return True if not leftovers else None

    try:
        # the timeout counts from the start; what is left then is reported, not raised
        poll_until(gone, deadline=timeout - timedelta(seconds=clock() - started), what=f"stack {name} to go",
                   backoff=_REMOVE_POLL, clock=clock, sleep=sleep)
    except DeadlinePassed:
        pass
    records = history.remove_records(engine, name) if not leftovers else 0
    return RemoveResult(name, services, networks, configs, secrets, records, tuple(leftovers),
                        timedelta(seconds=clock() - started))


# --------------------------------------------------------------------------- status
def stack_status(engine: StatusEngine, name: str | None = None) -> list[StackStatus]:
    """Stacks (all, or one), their services with desired/running/healthy and the recorded version."""
    labels = {STACK_NAMESPACE_LABEL: name} if name else {STACK_NAMESPACE_LABEL: ""}
    services = engine.services(labels=labels)
    tasks = engine.tasks([s.id for s in services]) if services else []
    records = history.list_records(engine, name)
    by_stack: dict[str, list[ServiceStatus]] = {}
    for svc in sorted(services, key=lambda s: s.name):
        mine = [t for t in tasks if t.service_id == svc.id]
        state = assess_service(svc, mine, since=None)
        ports = tuple(f"{p.published}:{p.target}/{p.protocol} ({p.mode})" for p in svc.published_ports)
        recent = sorted(mine, key=lambda t: (t.terminal, -(t.timestamp.timestamp() if t.timestamp else 0)))[:5]
        rows = tuple(TaskStatus(t.id, t.slot, t.node_id, t.state, t.desired_state, t.error,
                                t.spec_key == svc.task_spec_key) for t in recent)
        by_stack.setdefault(svc.stack or "", []).append(
            ServiceStatus(svc.name, svc.image, svc.mode, state, ports, rows))
    stacks = set(by_stack) | ({r.stack for r in records} if name is None else set())
    out = []
    for st in sorted(stacks):
        recs = [r for r in records if r.stack == st]
        if st not in by_stack and name is None:
            continue
        last = recs[-1] if recs else None
        out.append(StackStatus(st, tuple(by_stack.get(st, [])), last.version if last else None,
                               last.outcome if last else None))
    return out


__all__ = [
    "DeployOptions",
    "DeployResult",
    "ObjectChange",
    "Plan",
    "RemoveResult",
    "RolledBack",
    "ServiceChange",
    "StackStatus",
    "TimedOut",
    "deploy_stack",
    "remove_stack",
    "rollback_stack",
    "stack_status",
]
