"""Apply a route change: lock, render the whole bundle, validate it with ``nginx -t``,
rotate content-addressed configs into the router service (start-first), wait, probe,
and restore the previous bundle on any failure.

The bundle lives in the swarm: the configs the router service references *are* the
routing state (their labels say which app, kind and target path they are; the status
file holds the route table). So any dockline process on any manager sees the same
state, and the lock (a swarm config only one process can create) serialises changes.

Pure parts (:func:`plan_bundle`, :func:`config_name`, :func:`table_from_status`) are
unit-tested; :func:`apply_app` talks to the engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Self

from dockline.errors import DocklineError, EngineError, LockHeld, RouterError
from dockline.retry import Backoff, DeadlinePassed, poll_until
from dockline.router.render import (
    DEFAULT_TIMEOUTS,
    RenderedFile,
    Timeouts,
    render_app,
    render_status,
    table_version,
)
from dockline.router.routes import Route, RouteTable, RouteTarget, TargetMode, check_conflicts
from dockline.swarm.wait import Converged, wait_services

if TYPE_CHECKING:
    from dockline.swarm.model import ConfigInfo
    from dockline.swarm.protocols import ApplyEngine, BundleEngine, Configs, Containers, LockEngine

log = logging.getLogger("dockline.router")

LABEL_ROUTER = "dockline.router"
LABEL_KIND = "dockline.router.kind"  # upstream | location | status | edge | lock
LABEL_APP = "dockline.router.app"
LABEL_TARGET = "dockline.router.target"
LABEL_HOLDER = "dockline.lock.holder"  # host:pid, for messages only (the owner is the token in the data)
LABEL_TTL = "dockline.lock.ttl"  # seconds without a renewal after which the lock is stale
LABEL_BEAT = "dockline.lock.beat"  # the heartbeat's count: each renewal relabels the lock
BUNDLE_KINDS = ("upstream", "location", "status")
#: Waiting for the lock: 0.1 s, then 1.5 times longer, at most 1 s.
_LOCK_POLL = Backoff(first=timedelta(seconds=0.1), factor=1.5, most=timedelta(seconds=1))


def _steady(seconds: float) -> Backoff:
    """The same pause between every try."""
    return Backoff(first=timedelta(seconds=seconds), factor=1.0, most=timedelta(seconds=seconds))


@dataclass(frozen=True)
class Router:
    """Names of one router's swarm objects."""

    name: str = "dockline-router"

    @property
    def service(self) -> str:
        return f"{self.name}_nginx"

    @property
    def edge(self) -> str:
        return f"{self.name}_edge"

    @property
    def network(self) -> str:
        return f"{self.name}-net"

    @property
    def lock(self) -> str:
        return f"{self.name}.lock"


DEFAULT_ROUTER = Router()


@dataclass(frozen=True)
class BundleEntry:
    """One config of a bundle."""

    config: str  # the swarm config's name (content-addressed)
    file: RenderedFile


@dataclass(frozen=True)
class Bundle:
    """The set of configs a router serves, and the route table they encode."""

    entries: tuple[BundleEntry, ...] = ()
    table: RouteTable = field(default_factory=RouteTable)
    version: str = "empty"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(e.config for e in self.entries))

    @property
    def mounts(self) -> list[tuple[str, str]]:
        return [(e.config, e.file.target) for e in self.entries]


@dataclass(frozen=True)
class Timings:
    """Where the time of one apply went."""

    lock: timedelta = timedelta(0)
    render: timedelta = timedelta(0)
    validate: timedelta = timedelta(0)
    rotate: timedelta = timedelta(0)
    converge: timedelta = timedelta(0)
    probe: timedelta = timedelta(0)

    @property
    def total(self) -> timedelta:
        return self.lock + self.render + self.validate + self.rotate + self.converge + self.probe


@dataclass(frozen=True)
class Applied:
    """The new bundle is live and every route answered through the router."""

    app: str
    version: str
    previous_version: str
    targets: tuple[RouteTarget, ...]
    removed_configs: tuple[str, ...]
    timings: Timings
    kind = "applied"


@dataclass(frozen=True)
class Unchanged:
    """The bundle would be identical: nothing was touched."""

    app: str
    version: str
    targets: tuple[RouteTarget, ...]
    kind = "unchanged"


ApplyOutcome = Applied | Unchanged


# --------------------------------------------------------------------------- pure parts
def config_name(router: Router, f: RenderedFile) -> str:
    """Content-addressed, <= 64 chars: ``<router>-<kind>-<sha12 of target+content>``."""
    digest = hashlib.sha256(f"{f.target}\0{f.content}".encode()).hexdigest()[:12]
    return f"{router.name[:40]}-{f.kind[:3]}-{digest}"


def config_labels(router: Router, f: RenderedFile) -> dict[str, str]:
    labels = {LABEL_ROUTER: router.name, LABEL_KIND: f.kind, LABEL_TARGET: f.target}
    if f.app is not None:
        labels[LABEL_APP] = f.app
    return labels


def table_from_status(text: str) -> tuple[RouteTable, str]:
    """The route table and version stored in a status file."""
    try:
        doc = json.loads(text)
        targets = tuple(
            RouteTarget(
                Route(app=str(r["app"]), service=str(r["service"]), path=str(r["path"])),
                TargetMode(r["mode"]),
                tuple(str(s) for s in r["servers"]),
            )
            for r in doc.get("routes", [])
        )
        return RouteTable(targets), str(doc.get("version", "unknown"))
    except (ValueError, KeyError, TypeError) as e:
        raise RouterError(f"the router's status file is unreadable: {e}") from e


def plan_bundle(
    router: Router,
    current: Bundle,
    app: str,
    targets: Sequence[RouteTarget] | None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> Bundle:
    """The bundle after replacing ``app``'s routes with ``targets`` (``None``: remove the
    app). Other apps' files are kept byte for byte. Raises :class:`RouteError` when a path
    would be owned twice."""
    new_targets = tuple(targets or ())
    table = RouteTable(current.table.without_app(app).targets + new_targets)
    check_conflicts([t.route for t in table.targets])
    kept = [e.file for e in current.entries if e.file.app is not None and e.file.app != app]
    files = kept + render_app(app, new_targets, timeouts)
    version = table_version(files)
    files.append(render_status(table, version))
    entries = tuple(BundleEntry(config_name(router, f), f) for f in files)
    return Bundle(entries, table, version)


# --------------------------------------------------------------------------- reading state
def current_bundle(engine: BundleEngine, router: Router) -> tuple[Bundle, tuple[str, ...]]:
    """The bundle the router service references now, and the exact config names (for the
    compare-and-swap). Raises :class:`RouterError` (exit 3) when there is no router."""
    svc = engine.service(router.service)
    if svc is None:
        raise RouterError(f"router {router.name} is not running (no service {router.service})",
                          "start it with `dockline router up`", exit_code=3)
    by_name = {c.name: c for c in engine.configs(labels={LABEL_ROUTER: router.name})}
    entries = []
    table, version = RouteTable(), "empty"
    for name in svc.configs:
        info = by_name.get(name)
        if info is None or info.labels.get(LABEL_KIND) not in BUNDLE_KINDS:
            continue
        data = engine.config_data(name)
        if data is None:
            continue
        f = RenderedFile(info.labels.get(LABEL_APP), info.labels[LABEL_KIND],
                         info.labels.get(LABEL_TARGET, ""), data.decode())
        entries.append(BundleEntry(name, f))
        if f.kind == "status":
            table, version = table_from_status(f.content)
    return Bundle(tuple(entries), table, version), tuple(svc.configs)


# --------------------------------------------------------------------------- the lock
@dataclass(frozen=True)
class LockOwner:
    """Who holds a router lock. ``token`` is the identity (random, per acquire: unique across
    processes and machines); ``host:pid`` is only for people to read. ``boot`` (Linux: the
    kernel's boot id and the pid namespace) and ``start`` (the process's start time) let a
    process on the *same* kernel tell that the holder is gone; anywhere else they never match."""

    token: str
    host: str
    pid: int
    boot: str | None = None
    start: str | None = None

    @property
    def holder(self) -> str:
        return f"{self.host}:{self.pid}"

    def to_bytes(self) -> bytes:
        return json.dumps({"token": self.token, "host": self.host, "pid": self.pid, "boot": self.boot,
                           "start": self.start}, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> LockOwner | None:
        try:
            doc = json.loads(data or b"")
            return cls(str(doc["token"]), str(doc["host"]), int(doc["pid"]),
                       None if doc.get("boot") is None else str(doc["boot"]),
                       None if doc.get("start") is None else str(doc["start"]))
        except (ValueError, KeyError, TypeError):
            return None  # an older dockline's lock (or garbage): judged by its age only


def _proc_start(pid: int) -> str | None:
    """A process's start time (clock ticks since boot, /proc/<pid>/stat field 22)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, ValueError):
        return None
    return fields[19] if len(fields) > 19 else None


def _boot() -> str | None:
    """This kernel boot and pid namespace, or ``None`` where /proc does not tell."""
    try:
        return f"{Path('/proc/sys/kernel/random/boot_id').read_text().strip()}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return None


def this_process() -> LockOwner:
    pid = os.getpid()
    return LockOwner(secrets.token_hex(16), socket.gethostname(), pid, _boot(), _proc_start(pid))


def owner_gone(owner: LockOwner, here: LockOwner) -> bool:
    """Whether ``owner`` surely died: it ran on this very kernel boot and pid namespace and
    its pid is free or now belongs to a later process. A holder elsewhere (even on a machine
    with the same hostname) is never judged this way: its lock waits for its TTL."""
    if owner.boot is None or owner.start is None or owner.boot != here.boot:
        return False
    start = _proc_start(owner.pid)
    if start is not None:
        return start != owner.start
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False  # alive, but /proc/<pid> is hidden from us


class SwarmLock:
    """A lock held in the swarm: a config named ``<router>.lock`` that only one process
    can create. Its data names its owner (a random token; host and pid for messages).

    Staleness is judged by the swarm's clock only: the lock config's ``UpdatedAt`` (or
    ``CreatedAt``) against the manager's ``SystemTime`` from ``info()``, never this host's
    clock against another's. The holder renews it (a relabel: the swarm bumps ``UpdatedAt``)
    every third of its TTL from a heartbeat thread, so a long apply is never broken into; a
    lock not renewed for its TTL (the holder crashed, or lost the swarm), or whose holder
    process is surely gone (same kernel), is broken. Waiting is bounded by ``wait``, with a
    growing pause between tries."""

    def __init__(self, engine: LockEngine, router: Router, *, ttl: timedelta, wait: timedelta,
                 on_wait: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 heartbeat: bool = True):
        self.engine = engine
        self.router = router
        self.ttl = ttl
        self.wait = wait
        self.on_wait = on_wait
        self.clock = clock
        self.sleep = sleep
        self.heartbeat = heartbeat
        self.id: str | None = None
        self.owner = this_process()
        self.lost: str | None = None  # why the heartbeat could not renew the lock
        self._labels: dict[str, str] = {}
        self._beats = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: a lock seen unchanged (same id and version) since this clock() time: the fallback
        #: when the engine does not tell its own time
        self._seen: dict[tuple[str, int], float] = {}

    def _ttl_of(self, lock: ConfigInfo) -> float:
        try:
            return float(lock.labels.get(LABEL_TTL, ""))
        except ValueError:
            return self.ttl.total_seconds()

    def _age(self, lock: ConfigInfo) -> float | None:
        """Seconds since the lock was made or last renewed, by the swarm's clock."""
        now = self.engine.info().system_time
        seen = lock.updated_at or lock.created_at
        if now is not None and seen is not None:
            return (now - seen).total_seconds()
        first = self._seen.setdefault((lock.id, lock.version), self.clock())
        return self.clock() - first  # how long it stood still while we watched

    def acquire(self) -> None:
        told = False
        holder, age, ttl = "?", None, self.ttl.total_seconds()
        self._labels = {LABEL_ROUTER: self.router.name, LABEL_KIND: "lock", LABEL_HOLDER: self.owner.holder,
                        LABEL_TTL: f"{self.ttl.total_seconds():g}"}

        def create() -> bool:
            try:
                self.id = self.engine.create_config(self.router.lock, self.owner.to_bytes(), self._labels)
                return True
            except EngineError as e:
                if "already exists" not in e.message.lower() and "conflict" not in e.message.lower():
                    raise
                return False

        def take() -> bool | None:
            nonlocal holder, age, ttl
            if create():
                return True
            held = [c for c in self.engine.configs(labels={LABEL_ROUTER: self.router.name, LABEL_KIND: "lock"})
                    if c.name == self.router.lock]
            if not held:
                return None  # released meanwhile (or not listed yet): try again after a pause
            lock = held[0]
            holder, ttl, age = lock.labels.get(LABEL_HOLDER, "?"), self._ttl_of(lock), self._age(lock)
            owner = LockOwner.from_bytes(self.engine.config_data(lock.id))
            gone = owner is not None and owner_gone(owner, self.owner)
            if (age is not None and age > ttl) or gone:
                why = "its holder process is gone" if gone else f"not renewed for {age:.0f}s"
                log.warning("breaking stale router lock of %s (%s)", holder, why)
                self.engine.remove_config(lock.id)  # by id: a fresh lock of someone else survives
                return True if create() else None
            return None

        def pause(seconds: float) -> None:
            nonlocal told
            if not told and self.on_wait is not None:
                self.on_wait(holder)
                told = True
            self.sleep(seconds)

        try:
            poll_until(take, deadline=self.wait, what=f"the lock of router {self.router.name}", backoff=_LOCK_POLL,
                       clock=self.clock, sleep=pause)
        except DeadlinePassed:
            last = f" (last renewed {age:.0f}s ago by the swarm's clock)" if age is not None else ""
            raise LockHeld(
                f"router {self.router.name} is being changed by {holder}; waited {self.wait.total_seconds():.0f}s",
                f"retry when it is done; if that process died, its lock expires {ttl:.0f}s after it was last"
                f" renewed{last}",
            ) from None
        self.lost = None
        self._beats = 0
        if self.heartbeat:
            self._stop.clear()
            self._thread = threading.Thread(target=self._beat, name=f"{self.router.lock} heartbeat", daemon=True)
            self._thread.start()

    def renew(self) -> None:
        """Renew the lock now (the swarm stamps it with its own time). Raises when it is gone."""
        if self.id is None:
            raise RouterError(f"the lock of router {self.router.name} is not held")
        self._beats += 1
        self.engine.set_config_labels(self.id, {**self._labels, LABEL_BEAT: str(self._beats)})

    def _beat(self) -> None:
        every = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(every) and self.id is not None:
            lock_id = self.id
            try:
                self.renew()
            # a heartbeat thread must not die of an error: the engine's 404 is not a DocklineError,
            # so whether the lock is lost is judged by the lock itself
            except Exception as e:  # noqa: BLE001
                why = e.message if isinstance(e, DocklineError) else str(e)
                try:
                    gone = self.engine.config_data(lock_id) is None
                except Exception:  # noqa: BLE001 - the engine does not answer: try again at the next beat
                    gone = False
                if gone:
                    self.lost = f"it was broken by another process: {why}"
                    log.warning("lost the lock of router %s: %s", self.router.name, why)
                    return
                log.warning("could not renew the lock of router %s (will retry): %s", self.router.name, why)

    def ensure_held(self) -> None:
        """Raise (exit 1) when the heartbeat lost the lock: another process may be changing
        the router, so this one must not touch it."""
        if self.lost is not None:
            raise RouterError(f"lost the lock of router {self.router.name} ({self.lost}); nothing more was changed",
                              "retry the routing")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.id is not None:
            self.engine.remove_config(self.id)  # by id: a lock someone else took after ours survives
            self.id = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- probing
def _get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": "dockline-router-probe"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return int(res.status), res.read()
    except urllib.error.HTTPError as e:
        return int(e.code), b""
    except (urllib.error.URLError, OSError):
        return 0, b""


def probe_router(base_url: str, version: str, paths: Sequence[str],
                 timeout: timedelta = timedelta(seconds=15), *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> str | None:
    """``None`` when the router serves ``version`` (three answers in a row) and every path
    answers below 500; otherwise what went wrong."""
    start = clock()
    streak = 0
    seen = "nothing"

    def serves() -> bool | None:
        nonlocal streak, seen
        code, body = _get(f"{base_url}/_dockline/status")
        if code == 200:
            try:
                seen = str(json.loads(body).get("version"))
            except ValueError:
                seen = "unreadable"
        else:
            seen = f"HTTP {code}" if code else "no answer"
        streak = streak + 1 if seen == version else 0
        return True if streak >= 3 else None

    try:
        poll_until(serves, deadline=timeout, what=f"the router to serve bundle {version}",
                   backoff=_steady(0.2), clock=clock, sleep=sleep)
    except DeadlinePassed:
        return f"the router does not serve bundle {version} (it answers {seen})"
    for path in paths:
        code = 0

        def answers(path: str = path) -> bool | None:
            nonlocal code
            code, _ = _get(f"{base_url}{path}")
            return True if 0 < code < 500 else None

        left = timeout - timedelta(seconds=clock() - start)  # one deadline for the whole probe
        with contextlib.suppress(DeadlinePassed):
            poll_until(answers, deadline=left, what=f"route {path}", backoff=_steady(0.3), clock=clock, sleep=sleep)
        if not 0 < code < 500:
            return f"route {path} answers {'HTTP ' + str(code) if code else 'nothing'} through the router"
    return None


# --------------------------------------------------------------------------- apply
@dataclass(frozen=True)
class ApplySettings:
    """Knobs of one apply."""

    image: str  # the router image (for nginx -t)
    probe_url: str | None  # e.g. http://127.0.0.1:8080; None: no probe
    lock_wait: timedelta = timedelta(seconds=90)
    lock_ttl: timedelta = timedelta(seconds=60)  # renewed every 20 s while held
    converge_timeout: timedelta = timedelta(seconds=90)
    probe_timeout: timedelta = timedelta(seconds=15)


def validate_bundle(engine: Containers, image: str, bundle: Bundle) -> None:
    """``nginx -t`` inside the router image with the whole bundle in place."""
    files = {e.file.target: e.file.content.encode() for e in bundle.entries}
    code, out = engine.run_check(image, files, ["nginx", "-t"], timeout=timedelta(seconds=30))
    if code != 0:
        lines = [ln for ln in out.splitlines() if "emerg" in ln or "failed" in ln] or out.splitlines()[-3:]
        raise RouterError("nginx rejected the new bundle; nothing was changed", "\n".join(lines))


def _since(t0: float) -> timedelta:
    return timedelta(seconds=time.monotonic() - t0)


def apply_app(
    engine: ApplyEngine,
    router: Router,
    app: str,
    resolve: Callable[[], Sequence[RouteTarget]] | None,
    settings: ApplySettings,
    *,
    on_step: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyOutcome:
    """Route ``app`` (``resolve`` gives its targets, called under the lock) or unroute it
    (``resolve=None``). Raises RouteError (2, nothing changed), LockHeld, RouterError."""
    step = on_step or (lambda _m: None)
    t0 = time.monotonic()
    lock = SwarmLock(engine, router, ttl=settings.lock_ttl, wait=settings.lock_wait,
                     on_wait=lambda h: step(f"waiting for the router lock held by {h}"), clock=clock, sleep=sleep)
    with lock:
        t_lock = _since(t0)
        t1 = time.monotonic()
        current, referenced = current_bundle(engine, router)
        targets = tuple(resolve()) if resolve is not None else ()
        bundle = plan_bundle(router, current, app, targets if resolve is not None else None)
        t_render = _since(t1)
        if bundle.names == tuple(sorted(referenced)):
            return Unchanged(app, bundle.version, targets)
        t2 = time.monotonic()
        step(f"validating bundle {bundle.version} with nginx -t")
        validate_bundle(engine, settings.image, bundle)
        t_validate = _since(t2)

        t3 = time.monotonic()
        lock.ensure_held()
        existing = {c.name for c in engine.configs(labels={LABEL_ROUTER: router.name})}
        created = []
        for e in bundle.entries:
            if e.config not in existing:
                engine.create_config(e.config, e.file.content.encode(), config_labels(router, e.file))
                created.append(e.config)
        since = datetime.now(UTC)
        step(f"rotating router configs: bundle {current.version} -> {bundle.version}")
        try:
            engine.set_service_configs(router.service, bundle.mounts, expect=referenced)
        except EngineError as e:
            _remove(engine, created, clock=clock, sleep=sleep)
            raise RouterError(f"could not update the router: {e.message}; nothing was changed") from e
        t_rotate = _since(t3)

        t4 = time.monotonic()
        outcome = wait_services(engine, [router.service], settings.converge_timeout, since=since)
        t_converge = _since(t4)
        if not isinstance(outcome, Converged):
            _restore(engine, router, current, created, step, clock=clock, sleep=sleep)
            raise RouterError(
                f"the router did not take bundle {bundle.version} ({outcome.kind}:"
                f" {'; '.join(outcome.reasons)}); previous bundle {current.version} restored")
        t5 = time.monotonic()
        if settings.probe_url:
            step("probing every route through the router")
            problem = probe_router(settings.probe_url, bundle.version,
                                   # a route without a running target answers 502 by design
                                   [t.route.path for t in bundle.table.targets if t.servers],
                                   settings.probe_timeout, clock=clock, sleep=sleep)
            if problem is not None:
                _restore(engine, router, current, created, step, clock=clock, sleep=sleep)
                raise RouterError(f"{problem}; previous bundle {current.version} restored")
        t_probe = _since(t5)
        removed = _collect(engine, router, set(bundle.names), clock=clock, sleep=sleep)
    return Applied(app, bundle.version, current.version, targets, removed,
                   Timings(t_lock, t_render, t_validate, t_rotate, t_converge, t_probe))


def _remove(engine: Configs, names: Sequence[str], *, clock: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep) -> None:
    for n in names:
        def gone(n: str = n) -> bool | None:
            return True if engine.remove_config(n) or engine.config_data(n) is None else None

        # a task still shutting down holds it: 20 tries, 0.5 s apart; then it is left
        with contextlib.suppress(DeadlinePassed):
            poll_until(gone, deadline=timedelta(seconds=9.5), what=f"config {n} to go", backoff=_steady(0.5),
                       clock=clock, sleep=sleep)


def _restore(engine: ApplyEngine, router: Router, previous: Bundle, created: Sequence[str],
             step: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> None:
    """Put the previous bundle back (unless the swarm's rollback already did) and delete
    the configs this apply created, so none is orphaned."""
    svc = engine.service(router.service)
    if svc is not None and sorted(svc.configs) != sorted(previous.names):
        step(f"restoring bundle {previous.version}")
        engine.set_service_configs(router.service, previous.mounts, expect=svc.configs)
        wait_services(engine, [router.service], timedelta(seconds=90))
    _remove(engine, [n for n in created if n not in previous.names], clock=clock, sleep=sleep)


def _collect(engine: Configs, router: Router, keep: set[str], *, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> tuple[str, ...]:
    """Delete this router's bundle configs no longer referenced (also leftovers of a
    crashed run: we hold the lock, so nobody else is mid-change)."""
    removed: list[str] = []
    start = clock()
    stale = [c for c in engine.configs(labels={LABEL_ROUTER: router.name})
             if c.labels.get(LABEL_KIND) in BUNDLE_KINDS and c.name not in keep]

    def all_gone() -> bool | None:
        nonlocal stale
        left = []
        for c in stale:
            if engine.remove_config(c.id):
                removed.append(c.name)
            elif engine.config_data(c.id) is not None:
                left.append(c)  # still referenced by the old task while it drains
        stale = left
        return True if not stale else None

    if stale:
        try:
            poll_until(all_gone, deadline=timedelta(seconds=15) - timedelta(seconds=clock() - start),
                       what="unused router configs to go", backoff=_steady(0.5), clock=clock, sleep=sleep)
        except DeadlinePassed:
            log.warning("configs still in use, left for the next routing: %s", [c.name for c in stale])
    return tuple(removed)
