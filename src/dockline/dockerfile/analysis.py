"""The shared per-file analysis rules get: RUN bodies parsed once, shells, stages, ARG scopes.

:class:`Analysis` is computed lazily, once per file, and shared by every rule through
its :class:`Context` (the file, the analysis and the rule's own options).  The ARG/ENV
scope of an instruction is :func:`dockline.dockerfile.semantic.all_scopes`'s -- the one
walk of BuildKit's scoping rules; rules do not keep their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dockline.dockerfile.model import Dockerfile, Instruction, Stage
from dockline.dockerfile.semantic import Scope, all_scopes
from dockline.dockerfile.shell import Command, Script, Word, effective, parse_script, shell_dialect

_WINDOWS_BASE = re.compile(r"(windows/|servercore|nanoserver|windowsservercore)", re.IGNORECASE)
DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")
_NO_SCOPE = Scope(env={}, declared=frozenset(), env_names=frozenset())
SCRIPT_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"}


@dataclass(frozen=True, eq=False)  # identity semantics: hashing a Stage would walk the whole file
class RunInfo:
    """A RUN instruction with its shell analysis."""

    instruction: Instruction  # the RUN itself (ONBUILD's inner one for ONBUILD RUN)
    at: Instruction  # where to report (the ONBUILD for ONBUILD RUN)
    stage: Stage | None
    script: Script
    shell: tuple[str, ...]

    def __post_init__(self) -> None:
        by_name: dict[str, list[Command]] = {}
        for c in self.script.commands:
            e = effective(c)
            by_name.setdefault(e.basename, []).append(e)
        object.__setattr__(self, "_by_name", by_name)

    @property
    def commands(self) -> tuple[Command, ...]:
        return self.script.commands

    def named(self, *names: str) -> list[Command]:
        """Commands (after sudo/env wrappers) whose name is one of ``names``, in order."""
        by_name: dict[str, list[Command]] = self._by_name  # type: ignore[attr-defined]
        if len(names) == 1:
            return list(by_name.get(names[0], ()))
        found = [c for n in names for c in by_name.get(n, ())]
        found.sort(key=lambda c: c.offset)
        return found

    @property
    def effective_commands(self) -> list[Command]:
        """Every command after wrappers, in order."""
        by_name: dict[str, list[Command]] = self._by_name  # type: ignore[attr-defined]
        return sorted((c for cs in by_name.values() for c in cs), key=lambda c: c.offset)


class Context:
    """What a rule gets: the file, the shared analysis and its own options."""

    def __init__(self, df: Dockerfile, analysis: Analysis, options: Mapping[str, Any]):
        self.df = df
        self.analysis = analysis
        self.options = options

    @property
    def runs(self) -> tuple[RunInfo, ...]:
        return self.analysis.runs

    def stage_of(self, ins: Instruction) -> Stage | None:
        return self.analysis.stage_of.get(id(ins))

    @property
    def files(self) -> Mapping[str, str]:
        return self.analysis.files

    def run_of(self, ins: Instruction) -> RunInfo | None:
        """The shell analysis of a RUN instruction (``None`` for other instructions)."""
        return self.analysis.run_by_id.get(id(ins))

    def scope_of(self, ins: Instruction) -> Scope:
        """What BuildKit sees when it expands ``ins``: the ARG/ENV names declared before
        it in its stage and the stages it is built FROM (empty for global ARGs)."""
        return self.analysis.scope_by_id.get(id(ins), _NO_SCOPE)


class Analysis:
    """Per-file facts computed once and shared by every rule."""

    def __init__(self, df: Dockerfile, files: Mapping[str, str] | None = None,
                 shell_pragma: str | None = None):
        self.df = df
        self.files: Mapping[str, str] = files or {}
        self.shell_pragma = shell_pragma
        #: per-file facts rule helpers compute once (``rules._helpers.inherited_any``)
        self.memo: dict[str, Any] = {}
        self.stage_of: dict[int, Stage] = {}
        for st in df.stages:
            self.stage_of[id(st.from_instruction)] = st
            for ins in st.instructions:
                self.stage_of[id(ins)] = st

    @cached_property
    def stage_shells(self) -> dict[int, tuple[str, ...]]:
        """The SHELL in effect at the end of each stage (inherited through FROM <stage>)."""
        out: dict[int, tuple[str, ...]] = {}
        for st in self.df.stages:
            out[st.index] = self._initial_shell(st, out)
            for ins in st.instructions:
                if ins.keyword == "SHELL" and ins.json_form and ins.args:
                    out[st.index] = tuple(ins.args)
        return out

    def _initial_shell(self, st: Stage, done: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
        if st.parent is not None and st.parent in done:
            return done[st.parent]
        if self.shell_pragma:
            return (self.shell_pragma,)
        if _WINDOWS_BASE.search(st.base_expanded or st.base):
            return ("cmd", "/S", "/C")
        return DEFAULT_SHELL

    @cached_property
    def runs(self) -> tuple[RunInfo, ...]:
        out: list[RunInfo] = []
        shells = self.stage_shells
        for st in self.df.stages:
            shell = self._initial_shell(st, shells)
            for ins in st.instructions:
                if ins.keyword == "SHELL" and ins.json_form and ins.args:
                    shell = tuple(ins.args)
                elif ins.keyword == "RUN":
                    out.append(RunInfo(ins, ins, st, run_script(ins, shell), shell))
                elif ins.keyword == "ONBUILD" and ins.sub is not None and ins.sub.keyword == "RUN":
                    out.append(RunInfo(ins.sub, ins, st, run_script(ins.sub, shell), shell))
        return tuple(out)

    @cached_property
    def run_by_id(self) -> dict[int, RunInfo]:
        """RunInfo by ``id()`` of its RUN instruction (ONBUILD's inner one included)."""
        return {id(r.instruction): r for r in self.runs}

    @cached_property
    def scope_by_id(self) -> dict[int, Scope]:
        """The :class:`~dockline.dockerfile.semantic.Scope` of every stage instruction, by ``id()``."""
        out: dict[int, Scope] = {}
        for st, scopes in zip(self.df.stages, all_scopes(self.df)):
            for ins, scope in zip(st.instructions, scopes):
                out[id(ins)] = scope
        return out

    @cached_property
    def final_stage(self) -> Stage | None:
        return self.df.stages[-1] if self.df.stages else None


def run_script(ins: Instruction, shell: tuple[str, ...]) -> Script:
    """The shell analysis of a RUN (exec form, shell form and heredoc bodies)."""
    if shell_dialect(shell) == "windows":
        return Script(ins.text, (), (), "windows")
    if ins.json_form:
        argv = list(ins.args)
        if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SCRIPT_SHELLS and argv[1].startswith("-") \
                and "c" in argv[1]:
            return parse_script(argv[2])
        words = tuple(Word(a, a, 0) for a in argv)
        return Script(ins.text, (Command(words),) if words else (), (), "posix")
    text = ins.args[0] if ins.args else ""
    script = parse_script(text)
    if not ins.heredocs:
        return script
    parts = [script]
    cmds = [c for c in script.commands if c.words]
    runs_body = not cmds or (cmds[0].basename in SCRIPT_SHELLS and len(cmds) == 1)
    if runs_body:
        for h in ins.heredocs:
            first = h.content.split("\n", 1)[0]
            if first.startswith("#!") and first.split("/")[-1].split()[0] not in SCRIPT_SHELLS \
                    and not re.search(r"\benv\s+(ba|da|a|z)?sh\b", first):
                continue  # another interpreter (python, node...)
            parts.append(parse_script(h.content))
    if len(parts) == 1:
        return script
    commands: list[Command] = []
    for k, p in enumerate(parts):
        for c in p.commands:
            commands.append(Command(c.words, c.assignments, c.redirects, c.offset, c.pipeline + 100_000 * k,
                                    c.pipe_index, c.pipe_length, c.depth, c.in_substitution, c.separator,
                                    c.negated))
    errors = tuple(e for p in parts for e in p.errors)
    return Script(text, tuple(commands), errors, "posix")


def iter_instructions(df: Dockerfile, *, onbuild: bool = False) -> Iterator[Instruction]:
    """Every instruction (and, with ``onbuild``, ONBUILD inner instructions)."""
    for ins in df.instructions:
        yield ins
        if onbuild and ins.sub is not None:
            yield ins.sub
