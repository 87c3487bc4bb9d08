"""Inline pragmas: ``# dockline ignore=...`` and hadolint's ``# hadolint ignore=...``.

* ``# dockline ignore=DKL001,DL3008`` (or ``# hadolint ignore=...``) on the line(s)
  just before an instruction: ignores those rules for that instruction.  A trailing
  ``# reason`` is allowed.
* ``# dockline global ignore=...``: the whole file.
* ``# dockline stage ignore=...``: from the comment to the next ``FROM``.
* ``# hadolint shell=powershell``: the shell the RUN bodies are written for.

Applied by the engine after the rules ran; rules never see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockline.dockerfile.model import Dockerfile

_PRAGMA = re.compile(
    r"^(?P<tool>dockline|hadolint)\s+(?:(?P<scope>global|stage)\s+)?ignore\s*=\s*(?P<ids>[A-Za-z0-9_,\s-]+?)\s*(?:#.*)?$"
)
_SHELL = re.compile(r"^(?:dockline|hadolint)\s+shell\s*=\s*(?P<shell>\S+)")


@dataclass(frozen=True)
class Pragma:
    """One ignore pragma."""

    line: int
    scope: str  # "line" | "stage" | "global"
    rules: frozenset[str]
    tool: str


def parse_pragmas(df: Dockerfile) -> list[Pragma]:
    """Every ignore pragma of the file, in order."""
    out: list[Pragma] = []
    for c in df.comments:
        m = _PRAGMA.match(c.text.strip())
        if m:
            ids = frozenset(x.strip().upper() for x in m.group("ids").split(",") if x.strip())
            out.append(Pragma(c.pos.line, m.group("scope") or "line", ids, m.group("tool")))
    return out


@dataclass(frozen=True)
class Pragmas:
    """Which (rule, line) pairs are ignored in one file."""

    global_rules: frozenset[str] = frozenset()
    by_line: dict[int, frozenset[str]] = field(default_factory=dict)
    shell: str | None = None

    @classmethod
    def empty(cls) -> Pragmas:
        return cls()

    @classmethod
    def from_dockerfile(cls, df: Dockerfile) -> Pragmas:
        pragmas = parse_pragmas(df)
        shell = None
        for c in df.comments:
            m = _SHELL.match(c.text.strip())
            if m:
                shell = m.group("shell")
        if not pragmas:
            return cls(shell=shell)
        glob: set[str] = set()
        by_line: dict[int, set[str]] = {}
        instrs = df.instructions
        comment_lines = {c.pos.line for c in df.comments}
        from_lines = [i.pos.line for i in instrs if i.keyword == "FROM"]
        last_line = max((i.end_line for i in instrs), default=0)
        for p in pragmas:
            if p.scope == "global":
                glob |= p.rules
            elif p.scope == "stage":
                nxt = next((ln for ln in from_lines if ln > p.line), last_line + 1)
                for ln in range(p.line, nxt):
                    by_line.setdefault(ln, set()).update(p.rules)
            else:
                # the next instruction, with only comments/blank lines in between
                target = next((i for i in instrs if i.pos.line > p.line), None)
                if target is None:
                    continue
                between = range(p.line + 1, target.pos.line)
                if all(ln in comment_lines or not df.line(ln).strip() for ln in between):
                    for ln in target.lines:
                        by_line.setdefault(ln, set()).update(p.rules)
        return cls(frozenset(glob), {k: frozenset(v) for k, v in by_line.items()}, shell)

    def ignores(self, rule_id: str, line: int) -> bool:
        """Whether ``rule_id`` is ignored at ``line``."""
        if rule_id in self.global_rules:
            return True
        return rule_id in self.by_line.get(line, frozenset())
