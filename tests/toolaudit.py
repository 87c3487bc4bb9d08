"""Which executables the tests run, checked against the ones ``scripts/test`` provides.

A green run on a developer's machine can hide a tool that was installed by hand (hadolint was
once on a machine and not in the test dependencies, so the README's test command failed on a
fresh one). ``scripts/test`` therefore writes a manifest of every executable it installed or
declares as part of the base system (``name<TAB>path`` lines) and points ``DOCKLINE_TEST_TOOLS``
at it. During the run an audit hook records every program a test starts through
``subprocess`` or ``os.exec*``/``os.posix_spawn``; at the end, a program that is neither in the
manifest, nor in the run's own virtualenv, nor inside the repository or a temporary directory
fails the run, named with the test that started it.

Without the variable (a developer running ``pytest`` by hand) the audit only reports.
What it cannot see: programs started by a child process (``sh -c "x | y"`` records ``sh`` and,
as a best effort, ``x``), and lookups with ``shutil.which`` that are not then run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MANIFEST_ENV = "DOCKLINE_TEST_TOOLS"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Use:
    """One program a test started."""

    name: str  # as the test wrote it (argv[0] or the executable)
    path: str | None  # where PATH resolved it; None: not found
    test: str  # the test that was running


def read_manifest(text: str) -> dict[str, str]:
    """``name<TAB>path`` lines (``#`` comments, blank lines ignored) -> {name: path}."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, path = line.partition("\t")
        out[name] = path.strip()
    return out


def violations(uses: Iterable[Use], manifest: Mapping[str, str], allowed_roots: Iterable[str]) -> list[Use]:
    """The uses of a program that the manifest does not provide (pure: the audit's verdict).

    A use is provided when its resolved path (or that path with symlinks resolved) is a
    manifest path, or lies under one of ``allowed_roots`` (the venv, the repository, temp).
    A program that was not found is not a violation here: the test that ran it fails anyway.
    """
    provided = set()
    for p in manifest.values():
        if p:
            provided.add(p)
            provided.add(os.path.realpath(p))
    roots = [os.path.realpath(r).rstrip("/") + "/" for r in allowed_roots]
    bad: list[Use] = []
    seen: set[str] = set()
    for u in uses:
        if u.path is None:
            continue
        real = os.path.realpath(u.path)
        if u.path in provided or real in provided:
            continue
        if any(real.startswith(r) or u.path.startswith(r) for r in roots):
            continue
        if real not in seen:
            seen.add(real)
            bad.append(u)
    return bad


class Audit:
    """Records program starts through ``sys.addaudithook`` (which cannot be removed: the
    hook checks ``active`` and does nothing once the session is over)."""

    def __init__(self) -> None:
        self.uses: list[Use] = []
        self.test = "(collection)"
        self.active = True

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[object, ...]) -> None:
        if not self.active:
            return
        try:
            if event == "subprocess.Popen":
                executable, argv, _cwd, env = args
                self._record_popen(executable, argv, env)
            elif event in ("os.exec", "os.posix_spawn"):
                self._record(str(args[0]), None)
        except Exception:  # noqa: BLE001 - an audit must never break the code it watches
            self.uses.append(Use(f"<unreadable {event}>", None, self.test))

    def _record_popen(self, executable: object, argv: object, env: object) -> None:
        path_var = env.get("PATH") if isinstance(env, Mapping) else None
        if isinstance(argv, (str, bytes)):
            # shell=True (or a lone string): the shell runs it; note its first word too
            text = argv.decode() if isinstance(argv, bytes) else argv
            self._record(str(executable) if executable else "sh", path_var)
            try:
                words = shlex.split(text)
            except ValueError:
                words = text.split()
            if words and "=" not in words[0]:
                self._record(words[0], path_var)
            return
        seq = list(argv) if isinstance(argv, (list, tuple)) else []
        name = executable if executable else (seq[0] if seq else None)
        if name is not None:
            self._record(os.fsdecode(name) if isinstance(name, (bytes, os.PathLike)) else str(name), path_var)

    def _record(self, name: str, path_var: object) -> None:
        if "/" in name:
            path: str | None = name if os.path.exists(name) else None
        else:
            path = shutil.which(name, path=path_var if isinstance(path_var, str) else None)
        self.uses.append(Use(name, path, self.test))


def allowed_roots() -> list[str]:
    """Where programs may come from without being in the manifest."""
    return [sys.prefix, str(ROOT), tempfile.gettempdir()]
