"""The parsed Dockerfile: frozen, typed, positioned.

Produced by :func:`dockline.dockerfile.parser.parse`; consumed by the linter and
anything else that needs to understand a Dockerfile.  Everything here is data
(frozen dataclasses); the only behaviour is small lookup helpers.

Public API (stable: fields may be added, never renamed or removed):

* :class:`Position` -- 1-based ``line`` and ``column`` (column counts characters).
* :class:`Flag` -- one ``--name=value`` flag of an instruction (``name`` lower-case,
  without dashes; ``value`` ``None`` for a bare ``--link``; ``raw`` as written).
* :class:`Heredoc` -- one ``<<EOF`` body of a RUN/COPY/ADD.
* :class:`Instruction` -- one instruction with keyword (upper-case), position,
  flags, arguments (``args``; exec form: the JSON list, shell form: one string),
  ``json_form``, heredocs, ``key_values`` for ENV/LABEL/ARG, ``sub`` for ONBUILD.
* :class:`Comment` -- every comment line of the file.
* :class:`Stage` -- one build stage (FROM and the instructions up to the next FROM).
* :class:`Dockerfile` -- the whole file: directives, escape character,
  instructions, comments, global ARGs and stages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True, order=True)
class Position:
    """A place in the source: 1-based line and column (column counts characters)."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class Flag:
    """A ``--name[=value]`` flag of an instruction."""

    name: str  # without dashes, lower-case: "from", "chown", "mount", "interval"...
    value: str | None  # text after '=' (None for a bare "--link")
    raw: str  # exactly as written, e.g. "--chown=user:group"
    pos: Position
    word: str = ""  # as BuildKit's parser keeps it (quotes removed), e.g. "--chown=user:group"


@dataclass(frozen=True)
class Heredoc:
    """A here-document attached to a RUN, COPY or ADD instruction."""

    name: str  # delimiter, unquoted ("EOF")
    content: str  # body (with <<- : leading tabs stripped), ends with "\n" like BuildKit
    expand: bool  # False when the delimiter was quoted (<<"EOF" / <<'EOF')
    chomp: bool  # True for <<-
    pos: Position  # where "<<" is
    body_start_line: int = 0  # first line of the body
    end_line: int = 0  # the terminator line


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction.

    ``args`` holds the list elements for the exec/JSON form; for the shell form it
    holds one string: the rest of the line after the flags, continuation lines joined
    as BuildKit does (comment lines inside removed).  ENV, LABEL and ARG also carry
    their parsed pairs in ``key_values`` (an ARG without default has value ``None``).
    ONBUILD carries its inner instruction in ``sub``.
    """

    keyword: str  # upper-case, unknown keywords too
    pos: Position  # start of the keyword
    end_line: int  # last physical line (continuations / heredoc bodies included)
    original: str  # exact source text of all its physical lines (no trailing newline)
    flags: tuple[Flag, ...] = ()
    args: tuple[str, ...] = ()
    json_form: bool = False
    heredocs: tuple[Heredoc, ...] = ()
    key_values: tuple[tuple[str, str | None], ...] = ()
    sub: Instruction | None = None
    arg_pos: Position = field(default=Position(0, 0))
    # True for the legacy whitespace form "ENV key value" / "LABEL key value"
    legacy_key_value: bool = False
    keyword_raw: str = ""  # the keyword as written ("from", "Run")
    rest: str = ""  # the argument text after the flags, continuation lines joined
    # ENV/LABEL/ARG pairs exactly as written (quotes and escapes kept; BuildKit's AST);
    # key_values holds the same pairs with quotes removed (variables left unexpanded)
    raw_key_values: tuple[tuple[str, str | None], ...] = ()
    empty_continuation_lines: tuple[int, ...] = ()  # blank lines inside the continuation
    known: bool = True  # False for keywords BuildKit does not know (its dispatcher rejects them)
    # first physical line (BuildKit's StartLine); before pos.line only when the instruction
    # begins with a lone continuation line ("\\" alone, then the keyword)
    start_line: int = 0

    def flag(self, name: str) -> Flag | None:
        """The first flag called ``name`` (lower-case, no dashes), or ``None``."""
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flags_named(self, name: str) -> tuple[Flag, ...]:
        """Every flag called ``name``, in source order."""
        return tuple(f for f in self.flags if f.name == name)

    @property
    def lines(self) -> range:
        """The physical line numbers this instruction spans."""
        return range(self.start_line or self.pos.line, self.end_line + 1)

    @property
    def text(self) -> str:
        """The arguments as one string (shell form as is; exec form joined by spaces)."""
        return " ".join(self.args)


@dataclass(frozen=True)
class Comment:
    """A comment line (``text`` is what follows ``#``, stripped)."""

    pos: Position
    text: str


@dataclass(frozen=True)
class Stage:
    """One build stage: a FROM and the instructions up to the next FROM."""

    index: int
    name: str | None  # the AS name, lower-cased (BuildKit compares case-insensitively)
    base: str  # image reference as written in FROM
    base_expanded: str | None  # global ARG defaults expanded; None if an unset ARG is used
    platform: str | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]  # after FROM, until the next FROM
    parent: int | None  # index of the earlier stage this one builds FROM, if any
    name_raw: str | None = None  # the AS name as written


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile."""

    path: str | None
    text: str  # the decoded source (BOM removed)
    lines: tuple[str, ...]  # physical lines (CRLF normalised)
    directives: Mapping[str, str]  # parser directives: syntax, escape, check (lower-case keys)
    escape: str  # "\\" or "`"
    instructions: tuple[Instruction, ...]  # every top-level instruction in order
    comments: tuple[Comment, ...]
    global_args: tuple[Instruction, ...]  # ARGs before the first FROM
    stages: tuple[Stage, ...]
    directive_positions: Mapping[str, Position] = field(default_factory=dict)

    def stage_named(self, name: str) -> Stage | None:
        """The stage called ``name`` (case-insensitive), or ``None``."""
        return self._stages_by_name.get(name.lower())

    @cached_property
    def _stages_by_name(self) -> dict[str, Stage]:
        """The first stage of each name (built once: a file of many stages asks often)."""
        out: dict[str, Stage] = {}
        for s in self.stages:
            if s.name is not None:
                out.setdefault(s.name, s)
        return out

    def line(self, number: int) -> str:
        """Physical line ``number`` (1-based), or "" when out of range."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""
