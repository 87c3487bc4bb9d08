"""``dockline scaffold``: write the sh probes and entrypoint into a build context and give
the Dockerfile lines that use them.

Pure planning (:func:`plan_scaffold`) is separate from writing (:func:`write_scaffold`).
The file names are stable: examples and images refer to them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dockline.errors import BadInputError, UsageError
from dockline.health import scripts

_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(?::[A-Za-z0-9_][A-Za-z0-9._-]*)?$")
CONTEXT_DIR = "dockline"
IMAGE_DIR = "/usr/local/bin"


@dataclass(frozen=True)
class HealthcheckTiming:
    """HEALTHCHECK options, always written explicitly."""

    interval: timedelta = timedelta(seconds=20)
    timeout: timedelta = timedelta(seconds=5)
    start_period: timedelta = timedelta(seconds=60)
    retries: int = 3


@dataclass(frozen=True)
class ScaffoldRequest:
    """What to scaffold."""

    probe: str = "http"  # http | tcp | postgres | none
    probe_arg: str | None = None  # http: URL; tcp: HOST:PORT
    entrypoint: bool = True
    cmd: tuple[str, ...] = ()
    timing: HealthcheckTiming = HealthcheckTiming()
    user: str | None = None  # USER for the entrypoint, the main process and the healthcheck


@dataclass(frozen=True)
class ScaffoldFile:
    """One file to write, relative to the build context."""

    path: str
    text: str
    mode: int = 0o755


@dataclass(frozen=True)
class Scaffold:
    """Files and the Dockerfile lines that use them."""

    files: tuple[ScaffoldFile, ...]
    dockerfile_lines: tuple[str, ...]


@dataclass(frozen=True)
class WriteResult:
    """Which files were written and which were already identical."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]


def format_duration(d: timedelta) -> str:
    """``20s``, ``1m30s``, ``500ms``: a Go duration Docker accepts."""
    ms = round(d.total_seconds() * 1000)
    if ms <= 0:
        raise BadInputError("healthcheck durations must be more than 0")
    if ms % 1000:
        return f"{ms}ms"
    s = ms // 1000
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    out = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{sec}s" if sec else "")
    return out


def _exec_form(argv: tuple[str, ...] | list[str]) -> str:
    return json.dumps(list(argv))


def plan_scaffold(req: ScaffoldRequest) -> Scaffold:
    """The files (every shipped script, so wait-for and later probes are there) and the lines."""
    if req.probe not in ("http", "tcp", "postgres", "none"):
        raise UsageError(f"unknown probe {req.probe!r} (http, tcp, postgres or none)")
    if req.entrypoint and not req.cmd:
        raise UsageError(
            "--cmd is required with the entrypoint: ENTRYPOINT resets the base image's CMD",
            "give the main command, e.g. --cmd 'nginx -g \"daemon off;\"', or use --no-entrypoint",
        )
    if req.probe_arg is not None and req.probe in ("postgres", "none"):
        raise UsageError(f"the {req.probe} probe takes no URL or target")
    if req.timing.retries < 1:
        raise UsageError("--retries must be at least 1")
    if req.user is not None and not _USER.match(req.user):
        raise UsageError(f"--user: not a user[:group] name or id: {req.user!r}")
    files = tuple(ScaffoldFile(f"{CONTEXT_DIR}/{name}", scripts.script_text(name)) for name in scripts.ALL)
    lines = [
        "# dockline scaffold: POSIX-sh healthcheck and entrypoint (root-owned, not writable by the app)",
        f"COPY --chown=root:root {CONTEXT_DIR}/ {IMAGE_DIR}/",
    ]
    if req.probe != "none":
        t = req.timing
        argv = [f"{IMAGE_DIR}/{scripts.PROBES[req.probe]}"]
        if req.probe_arg:
            argv.append(req.probe_arg)
        lines.append(
            f"HEALTHCHECK --interval={format_duration(t.interval)} --timeout={format_duration(t.timeout)}"
            f" --start-period={format_duration(t.start_period)} --retries={t.retries}"
            f" CMD {_exec_form(argv)}"
        )
    if req.entrypoint:
        lines.append(f"ENTRYPOINT {_exec_form([f'{IMAGE_DIR}/{scripts.ENTRYPOINT}'])}")
        lines.append(f"CMD {_exec_form(list(req.cmd))}")
    if req.user is not None:
        lines.append(f"USER {req.user}")
    return Scaffold(files=files, dockerfile_lines=tuple(lines))


def write_scaffold(context: Path, scaffold: Scaffold, *, force: bool = False) -> WriteResult:
    """Write the files under ``context``; a different existing file needs ``force``.

    No symbolic link is followed: a link in place of a file or of the ``dockline/``
    directory is refused, and each file is written to a fresh temporary file of its own
    (``mkstemp`` in the same directory: exclusive, so a link planted at a guessable
    ``<target>.tmp`` is never written through) that then replaces the target. A file that
    exists keeps its mode (plus execute wherever it is readable: it is a script to run)."""
    if not context.is_dir():
        raise BadInputError(f"{context}: not a directory (the build context)")
    conflicts = []
    for f in scaffold.files:
        target = context / f.path
        _refuse_links(context, target)
        if target.exists() and target.read_text(errors="replace") != f.text and not force:
            conflicts.append(str(target))
    if conflicts:
        raise BadInputError(
            f"would overwrite changed file(s): {', '.join(conflicts)}",
            "re-run with --force to replace them with dockline's version",
        )
    written, unchanged = [], []
    for f in scaffold.files:
        target = context / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        _refuse_links(context, target)
        try:
            old_mode: int | None = stat.S_IMODE(os.lstat(target).st_mode)
        except FileNotFoundError:
            old_mode = None
        mode = f.mode if old_mode is None else old_mode | (old_mode & 0o444) >> 2
        if old_mode is not None and target.read_text(errors="replace") == f.text:
            unchanged.append(f.path)
            if mode != old_mode:
                os.chmod(target, mode, follow_symlinks=False)
        else:
            _replace(target, f.text, mode)
            written.append(f.path)
    return WriteResult(tuple(written), tuple(unchanged))


def _refuse_links(context: Path, target: Path) -> None:
    """``BadInputError`` when ``target`` or a directory between ``context`` and it is a
    symbolic link (scaffold writes only inside the build context, never through a link)."""
    here = target
    while here != context:
        if here.is_symlink():
            raise BadInputError(f"{here}: is a symbolic link; refusing to write through it")
        here = here.parent


def _replace(target: Path, text: str, mode: int) -> None:
    """Write ``text`` to a new exclusive temporary file beside ``target``, give it ``mode``,
    and rename it over ``target`` (a link at ``target`` would be replaced, not followed)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            os.fchmod(out.fileno(), mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
