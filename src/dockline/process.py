"""Child processes that end when dockline says so: ``run_bounded``.

``subprocess.run(..., timeout=)`` kills only the process it started. A hook or probe is often
``sh -c "..."``: on a timeout the shell dies and its children live on (a file written after
"nothing was changed"), and a background child that keeps the output pipes open turns a
command that finished into a timeout, because ``communicate`` waits for the pipes to close.

``run_bounded`` starts the child as the leader of its own process group, waits for the
*leader* (not for the pipes), and when the leader is done or the deadline passes, kills the
whole group: nothing it started outlives it (a process that left the group with ``setsid``
is its own business). Output is kept up to ``limit`` bytes per stream so a chatty or
hostile command cannot fill memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

DEFAULT_LIMIT = 1 << 20  # bytes kept per stream
_DRAIN = 0.2  # seconds to read what the leader wrote just before it exited


@dataclass(frozen=True)
class Ran:
    """How a bounded child ended. ``returncode`` is negative when a signal ended it (as in
    ``subprocess``; -9 when dockline killed it at the deadline, with ``timed_out`` set)."""

    returncode: int
    stdout: str
    stderr: str
    elapsed: timedelta
    timed_out: bool = False


class _Reader(threading.Thread):
    def __init__(self, stream: object, limit: int) -> None:
        super().__init__(daemon=True)  # a reader blocked by an escaped grandchild must not hold exit
        self.stream = stream
        self.limit = limit
        self.data = bytearray()

    def run(self) -> None:
        read = getattr(self.stream, "read1", None) or self.stream.read  # type: ignore[attr-defined]
        try:
            while True:
                chunk = read(65536)
                if not chunk:
                    return
                room = self.limit - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
        except (OSError, ValueError):
            return


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_unreaped(pid: int, deadline: float) -> bool:
    """True once ``pid`` has exited (left unreaped), False when ``deadline`` passes first."""
    delay = 0.001
    while True:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
            return True
        now = time.monotonic()
        if now >= deadline:
            return False
        time.sleep(min(delay, deadline - now))
        delay = min(delay * 2, 0.05)


def run_bounded(argv: Sequence[str], *, timeout: timedelta, cwd: Path | str | None = None,
                env: Mapping[str, str] | None = None, limit: int = DEFAULT_LIMIT) -> Ran:
    """Run ``argv`` (a list, never a shell string) for at most ``timeout``; see the module doc.

    Raises ``OSError`` (e.g. ``FileNotFoundError``) when the program cannot be started.
    """
    started = time.monotonic()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    readers = [_Reader(proc.stdout, limit), _Reader(proc.stderr, limit)]
    for r in readers:
        r.start()
    # Wait without reaping: while the leader is an unreaped zombie its pid (= the group id)
    # cannot be reused, so killing the group afterwards can never hit a stranger's processes.
    exited = _wait_unreaped(proc.pid, started + max(timeout.total_seconds(), 0.001))
    if exited:
        for r in readers:  # the leader is done; a moment for its last words
            r.join(_DRAIN)
    _kill_group(proc.pid)
    code = proc.wait()
    for r in readers:
        r.join(_DRAIN)
    for stream in (proc.stdout, proc.stderr):
        try:
            stream.close()  # type: ignore[union-attr]
        except OSError:
            pass
    out, err = (bytes(r.data).decode("utf-8", "replace") for r in readers)
    return Ran(code, out, err, timedelta(seconds=time.monotonic() - started), timed_out=not exited)
