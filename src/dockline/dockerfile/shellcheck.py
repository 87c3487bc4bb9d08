"""ShellCheck on RUN bodies, the way hadolint does it, with exact positions.

hadolint runs every shell-form ``RUN`` through ShellCheck (all checks but SC1090, SC1091
and SC2187), with a shebang from the ``SHELL`` in effect and ``export NAME=1`` lines for
the ARG/ENV names seen so far and the proxy variables (so SC2154 "referenced but not
assigned" does not fire on build arguments), and reports every finding on the RUN's first
line.  dockline exports only the names among those that can change what ShellCheck says
about this body (:func:`exported_names`): the ones the body mentions, and the ones close
enough to a name it reads to be SC2153's "did you mean" -- hadolint's export of every
earlier ARG/ENV into every RUN makes the scripts quadratic in the file (6,000 ARG/RUN
pairs: 265 MB of scripts). dockline builds the same script but keeps the physical lines of the instruction: the
text before the command (``RUN``, flags) becomes spaces and the comment and blank lines
that Docker removes inside a continuation are left out, so a finding maps back to the line
and column where it is in the Dockerfile.

The pure part (:func:`scripts_for`, :func:`findings_for`) needs no ShellCheck;
:class:`ShellCheck` runs the binary (one process per Dockerfile, every RUN a file).
Exec-form RUN, Windows shells (``SHELL ["powershell", ...]``, ``cmd``) and shells
ShellCheck does not know (zsh, fish) are not checked; a heredoc RUN whose body is the
script (``RUN <<EOF``) is checked as that script unless its shebang names another
interpreter (python, node...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from dockline.dockerfile.analysis import RunInfo
from dockline.dockerfile.model import Dockerfile, Instruction, Stage
from dockline.dockerfile.semantic import PROXY_ARGS, lineage_times

EXCLUDED = (1090, 1091, 2187)  # hadolint's exclusions: `source` targets, ash
# shell executable (basename) → the dialect ShellCheck is told (by the shebang)
DIALECTS = {"sh": "sh", "ash": "sh", "busybox": "sh", "dash": "dash", "bash": "bash", "ksh": "ksh",
            "mksh": "ksh", "ksh93": "ksh"}
SEVERITIES = {"error": "error", "warning": "warning", "info": "info", "style": "style"}
_CONTINUATION = re.compile(r"\\[ \t]*$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHEBANG = re.compile(r"#!\s*(?:/usr/bin/env\s+(?:-\S+\s+)*)?(?P<exe>\S+)")


@dataclass(frozen=True)
class ShScript:
    """One RUN body as ShellCheck gets it."""

    instruction: Instruction  # where to report when a line does not map (the ONBUILD for ONBUILD RUN)
    dialect: str  # sh | dash | bash | ksh
    text: str  # shebang, exports, then the body
    lines: tuple[int, ...]  # Dockerfile line of each script line (0: added by dockline)


@dataclass(frozen=True)
class ScFinding:
    """One ShellCheck comment mapped to the Dockerfile."""

    code: str  # "SC2086"
    level: str  # error | warning | info | style
    message: str
    line: int
    column: int
    end_line: int


def dialect_of(shell: Sequence[str]) -> str | None:
    """ShellCheck's dialect for a SHELL (``None``: not a shell ShellCheck knows)."""
    if not shell:
        return "sh"
    exe = shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return DIALECTS.get(exe)


class _Visible:
    """Which ARG/ENV names a RUN sees as hadolint counts them, asked name by name.

    Not BuildKit's scope (:func:`dockline.dockerfile.semantic.all_scopes`): hadolint
    counts the global ARGs too, then the ARG/ENV names of the stage's lineage (parents
    first) and of the stage before the RUN.  Nothing is copied per RUN: each stage keeps
    its own names, a name declared in few stages is checked against those (ancestry by
    :func:`~dockline.dockerfile.semantic.lineage_times`), others by walking the lineage
    with the answers remembered.  :meth:`key` also gives hadolint's export order."""

    def __init__(self, df: Dockerfile):
        self.df = df
        seq = 0
        self.globals: dict[str, int] = {}
        for ins in df.global_args:
            for k in _names(ins):
                if k not in self.globals:
                    self.globals[k] = seq
                    seq += 1
        self.own: list[dict[str, tuple[int, int]]] = []  # by stage: name -> (line, order) of its first declaration
        self.where: dict[str, list[int]] = {}  # name -> the stages declaring it
        for st in df.stages:
            mine: dict[str, tuple[int, int]] = {}
            for ins in st.instructions:
                for k in _names(ins):
                    if k not in mine:
                        mine[k] = (ins.pos.line, seq)
                        seq += 1
            self.own.append(mine)
            for k in mine:
                self.where.setdefault(k, []).append(st.index)
        self.tin, self.tout = lineage_times(df)
        self._memo: dict[tuple[int, str], int | None] = {}
        self._close: dict[str, list[str]] = {}
        self._budget = _FUZZY_BUDGET
        self._by_length: dict[int, list[str]] | None = None

    def _parent(self, index: int) -> int | None:
        p = self.df.stages[index].parent
        return p if p is not None and p < index else None

    def key(self, stage: Stage | None, before: int, name: str) -> int | None:
        """hadolint's export order of ``name`` for a RUN at line ``before`` of ``stage``
        (``None``: the RUN does not see it)."""
        if name in self.globals:
            return self.globals[name]
        if stage is None:
            return None
        parent = self._parent(stage.index)
        got = self._earliest(parent, name) if parent is not None else None
        if got is not None:
            return got
        mine = self.own[stage.index].get(name)
        return mine[1] if mine is not None and mine[0] < before else None

    def _earliest(self, index: int, name: str) -> int | None:
        """The order of the first declaration of ``name`` in ``index``'s lineage (itself included)."""
        where = self.where.get(name)
        if not where:
            return None
        if len(where) <= _FEW:
            tin, tout = self.tin, self.tout
            found = [self.own[t][name][1] for t in where if tin[t] <= tin[index] and tout[index] <= tout[t]]
            return min(found) if found else None
        path: list[int] = []
        answer: int | None = None
        cur: int | None = index
        while cur is not None:
            if (cur, name) in self._memo:
                answer = self._memo[(cur, name)]
                break
            path.append(cur)
            cur = self._parent(cur)
        for i in reversed(path):  # root first: a parent's answer wins over the child's own
            mine = self.own[i].get(name)
            if answer is None and mine is not None:
                answer = mine[1]
            self._memo[(i, name)] = answer
        return answer

    def close(self, name: str) -> list[str]:
        """Declared names ShellCheck could offer for ``name`` in SC2153/SC2154 ("did you
        mean"): longer than 3 and at most 2 edits away (compared without case, a superset).
        Bounded: after ``_FUZZY_BUDGET`` comparisons in a file, no more candidates."""
        if name in self._close:
            return self._close[name]
        if self._by_length is None:
            self._by_length = {}
            for n in {*self.globals, *self.where}:
                if len(n) > 3:
                    self._by_length.setdefault(len(n), []).append(n)
        low = name.lower()
        out: list[str] = []
        for length in range(len(name) - 2, len(name) + 3):
            for cand in self._by_length.get(length, ()):
                if self._budget <= 0:
                    break
                self._budget -= 1
                if cand != name and _within_two(low, cand.lower()):
                    out.append(cand)
        self._close[name] = out
        return out


_FEW = 16  # a name declared in at most this many stages is checked against those stages
_FUZZY_BUDGET = 20_000  # name comparisons per file for "did you mean" candidates
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_READ = re.compile(r"\$\{?[#!]?([A-Za-z_][A-Za-z0-9_]*)")


def _names(ins: Instruction) -> list[str]:
    if ins.keyword not in ("ARG", "ENV"):
        return []
    return [k for k, _ in ins.key_values if _NAME.fullmatch(k)]


def _within_two(a: str, b: str) -> bool:
    """Optimal-string-alignment distance of ``a`` and ``b`` at most 2 (transpositions count 1)."""
    if abs(len(a) - len(b)) > 2:
        return False
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > 2 and min(prev) > 1:  # no later row can come back under 3
            return False
        prev2, prev = prev, cur
    return prev[len(b)] <= 2


def exported_names(visible: _Visible, stage: Stage | None, before: int, body: str) -> list[str]:
    """The ``export NAME=1`` names for one RUN body, in hadolint's order: of the ARG/ENV
    names the RUN sees, those the body mentions (any word of it, a superset of what
    ShellCheck reads or assigns) and those close to a name it reads (SC2153 offers the
    closest *assigned* name).  A name the body never mentions cannot change a finding
    otherwise: ShellCheck's SC2154/SC2153 look at the variables the script reads."""
    chosen: dict[str, int] = {}
    for n in set(_IDENT.findall(body)):
        k = visible.key(stage, before, n)
        if k is not None:
            chosen[n] = k
    for q in set(_READ.findall(body)):
        if q in chosen:
            continue
        for cand in visible.close(q):
            if cand not in chosen:
                k = visible.key(stage, before, cand)
                if k is not None:
                    chosen[cand] = k
    return sorted(chosen, key=chosen.__getitem__)


def _header(dialect: str, names: Iterable[str]) -> list[str]:
    out = [f"#!/bin/{dialect}"]
    seen: set[str] = set()
    for n in (*names, *PROXY_ARGS):
        if n not in seen:
            seen.add(n)
            out.append(f"export {n}=1")
    return out


def _command_lines(df: Dockerfile, ins: Instruction, last: int) -> tuple[list[str], list[int]]:
    """The physical lines of a shell-form RUN up to ``last``, the text before the command
    blanked with spaces (columns stay), Docker's in-continuation comment/blank lines left out."""
    text: list[str] = []
    where: list[int] = []
    start = ins.arg_pos if ins.arg_pos.line else ins.pos
    for ln in range(start.line, last + 1):
        raw = df.line(ln)
        if ln == start.line:
            raw = " " * (start.column - 1) + raw[start.column - 1:]
        elif not raw.strip() or raw.lstrip().startswith("#"):
            continue  # Docker drops these inside a continuation; a shell would end the command
        if ln < last and _CONTINUATION.search(raw):
            raw = _CONTINUATION.sub("\\\\", raw)  # Docker allows blanks after the escape; a shell not
        text.append(raw)
        where.append(ln)
    return text, where


def _script(df: Dockerfile, ins: Instruction, at: Instruction, dialect: str,
            names: Callable[[str], list[str]]) -> ShScript | None:
    if not ins.heredocs:
        if df.escape != "\\":
            # another escape character: the shell gets Docker's joined line, reported on the RUN line
            body, where = [ins.args[0] if ins.args else ""], [at.pos.line]
        else:
            body, where = _command_lines(df, ins, ins.end_line)
    else:
        first = ins.heredocs[0]
        command = (ins.args[0] if ins.args else "").strip()
        if len(ins.heredocs) == 1 and re.fullmatch(r"<<-?\s*[\"']?[^\s\"']+[\"']?", command):
            # `RUN <<EOF`: the body is the script; its shebang may name another interpreter
            lines = first.content.split("\n")[:-1] if first.content.endswith("\n") else first.content.split("\n")
            m = _SHEBANG.match(lines[0]) if lines else None
            if m is not None:
                own = dialect_of((m.group("exe"),))
                if own is None:
                    return None
                dialect = own
                lines = lines[1:]
                start = first.body_start_line + 1
            else:
                start = first.body_start_line
            body, where = lines, list(range(start, start + len(lines)))
        elif df.escape != "\\" or not first.body_start_line:
            return None
        else:
            # the command line(s), then every body and terminator as the shell reads them
            body, where = _command_lines(df, ins, first.body_start_line - 1)
            for ln in range(first.body_start_line, ins.end_line + 1):
                body.append(df.line(ln))
                where.append(ln)
    header = _header(dialect, names("\n".join(body)))
    return ShScript(at, dialect, "\n".join([*header, *body]) + "\n", tuple([0] * len(header) + where))


def scripts_for(df: Dockerfile, runs: Iterable[RunInfo]) -> list[ShScript]:
    """The ShellCheck scripts of ``runs`` (the shared analysis's ``RunInfo`` objects)."""
    visible = _Visible(df)
    out: list[ShScript] = []
    for r in runs:
        ins, at = r.instruction, r.at
        dialect = dialect_of(r.shell)
        if ins.json_form or dialect is None:
            continue
        s = _script(df, ins, at, dialect, partial(exported_names, visible, r.stage, at.pos.line))
        if s is not None:
            out.append(s)
    return out


def findings_for(script: ShScript, comments: Iterable[dict[str, object]]) -> list[ScFinding]:
    """Map ShellCheck's json1 comments for ``script`` back to Dockerfile lines and columns."""
    out: list[ScFinding] = []
    for c in comments:
        try:
            code = int(c["code"])  # type: ignore[call-overload]
            line = int(c["line"])  # type: ignore[call-overload]
            end = int(c.get("endLine", line))  # type: ignore[call-overload]
            column = int(c.get("column", 1))  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            continue
        if code in EXCLUDED:
            continue
        mapped = script.lines[line - 1] if 0 < line <= len(script.lines) else 0
        if not mapped:  # a header line (never expected) or out of range: the RUN itself
            mapped, column = script.instruction.pos.line, script.instruction.pos.column
        end_mapped = script.lines[end - 1] if 0 < end <= len(script.lines) and script.lines[end - 1] else mapped
        level = SEVERITIES.get(str(c.get("level", "warning")), "warning")
        out.append(ScFinding(f"SC{code}", level, str(c.get("message", "")).strip(), mapped, max(1, column),
                             max(mapped, end_mapped)))
    return out


class ShellCheckError(Exception):
    """ShellCheck could not be run or gave output that is not its json1 format."""


Runner = Callable[[Sequence[ShScript]], list[ScFinding]]


@dataclass(frozen=True)
class ShellCheck:
    """Runs the ``shellcheck`` binary on a Dockerfile's scripts (one process per file)."""

    executable: str
    timeout: float = 60.0

    # subprocess, tempfile and shutil are imported where they are used: `--shellcheck never`
    # must not pay for them at start-up

    @classmethod
    def find(cls) -> ShellCheck | None:
        import shutil

        exe = shutil.which("shellcheck")
        return cls(exe) if exe else None

    def version(self) -> str:
        import subprocess

        out = subprocess.run([self.executable, "--version"], capture_output=True, text=True, timeout=self.timeout,
                             check=False).stdout
        m = re.search(r"version:\s*(\S+)", out)
        return m.group(1) if m else "unknown"

    def __call__(self, scripts: Sequence[ShScript]) -> list[ScFinding]:
        import subprocess
        import tempfile

        if not scripts:
            return []
        with tempfile.TemporaryDirectory(prefix="dockline-sc-") as tmp:
            names = []
            for i, s in enumerate(scripts):
                p = Path(tmp) / f"run{i}.sh"
                p.write_text(s.text, encoding="utf-8")
                names.append(p.name)
            try:
                proc = subprocess.run(
                    [self.executable, "--format=json1", "--norc", "--severity=style",
                     f"--exclude={','.join(str(c) for c in EXCLUDED)}", "--", *names],
                    cwd=tmp, capture_output=True, text=True, timeout=self.timeout, check=False)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise ShellCheckError(f"shellcheck could not run: {e}") from None
        if proc.returncode not in (0, 1):
            raise ShellCheckError(f"shellcheck exited {proc.returncode}: {proc.stderr.strip()[:200]}")
        try:
            comments = json.loads(proc.stdout or "{}").get("comments", [])
        except (ValueError, AttributeError):
            raise ShellCheckError("shellcheck printed something that is not its json1 output") from None
        by_file: dict[str, list[dict[str, object]]] = {}
        for c in comments:
            if isinstance(c, dict):
                by_file.setdefault(str(c.get("file", "")), []).append(c)
        out: list[ScFinding] = []
        for i, s in enumerate(scripts):
            out.extend(findings_for(s, by_file.get(f"run{i}.sh", [])))
        return out
