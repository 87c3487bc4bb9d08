"""Pre- and post-deploy hooks (the talk's ``preStackDeployHook`` / ``postStackDeployHook``).

A hook is the user's own command, from their own flags or stack file (``x-dockline.hooks``):
a list is run as an argument vector, a string through ``sh -c``. dockline never pastes a
name or a value into the command: the stack name, the version and the files reach the hook
through environment variables (``DOCKLINE_STACK``, ``DOCKLINE_STACK_VERSION``,
``DOCKLINE_STACK_FILES``, ``DOCKLINE_HOOK``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from dockline.errors import StackError
from dockline.process import run_bounded

log = logging.getLogger("dockline.stack.hooks")

DEFAULT_HOOK_TIMEOUT = timedelta(minutes=5)


@dataclass(frozen=True)
class Hook:
    """One hook command."""

    phase: str  # pre | post
    argv: tuple[str, ...]
    source: str  # "flag" | "x-dockline.hooks.pre[0]" ...

    @classmethod
    def from_value(cls, phase: str, value: Any, source: str) -> Hook:
        if isinstance(value, str) and value.strip():
            return cls(phase, ("sh", "-c", value), source)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return cls(phase, tuple(value), source)
        raise StackError(f"{source}: a hook is a command string or a list of strings")

    def describe(self) -> str:
        return self.argv[2] if self.argv[:2] == ("sh", "-c") else " ".join(self.argv)


@dataclass(frozen=True)
class HookRun:
    """What a hook did."""

    hook: Hook
    exit_code: int
    output: str
    elapsed: timedelta

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def hooks_from_doc(doc: Mapping[str, Any]) -> tuple[Hook, ...]:
    """Hooks declared in the stack file: ``x-dockline: {hooks: {pre: ..., post: ...}}``.
    Each phase is a command string, or a list whose items are command strings (run with
    ``sh -c``) or argument lists (run as they are)."""
    section = doc.get("x-dockline") or {}
    if not isinstance(section, Mapping):
        raise StackError("x-dockline: should be a mapping")
    hooks = section.get("hooks") or {}
    if not isinstance(hooks, Mapping):
        raise StackError("x-dockline.hooks: should be a mapping with `pre` and/or `post`")
    unknown = set(hooks) - {"pre", "post"}
    if unknown:
        raise StackError(f"x-dockline.hooks.{min(unknown)}: unknown key (use pre or post)")
    out: list[Hook] = []
    for phase in ("pre", "post"):
        value = hooks.get(phase)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for i, v in enumerate(items):
            out.append(Hook.from_value(phase, v, f"x-dockline.hooks.{phase}[{i}]"))
    return tuple(out)


def run_hook(hook: Hook, *, stack: str, version: int, files: Sequence[Path], cwd: Path,
             timeout: timedelta = DEFAULT_HOOK_TIMEOUT) -> HookRun:
    """Run one hook with the stack's data in its environment; never raises for a non-zero exit."""
    import time

    env = dict(os.environ)
    env.update({
        "DOCKLINE_STACK": stack,
        "DOCKLINE_STACK_VERSION": str(version),
        "DOCKLINE_STACK_FILES": os.pathsep.join(str(f) for f in files),
        "DOCKLINE_HOOK": hook.phase,
    })
    started = time.monotonic()
    try:
        # the hook's whole process group ends with it, or with its timeout: nothing it started
        # may go on changing things after dockline has reported the deploy
        res = run_bounded(hook.argv, cwd=cwd, env=env, timeout=timeout)
        code, out = (124 if res.timed_out else res.returncode), res.stdout + res.stderr
        if res.timed_out:
            out = f"timed out after {timeout.total_seconds():.0f}s: {out}"
    except FileNotFoundError:
        code, out = 127, f"command not found: {hook.argv[0]}"
    log.debug("hook %s exited %s", hook.describe(), code)
    return HookRun(hook, code, out.strip(), timedelta(seconds=time.monotonic() - started))
