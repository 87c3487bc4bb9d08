"""Small pure helpers shared by rule modules (not a rules module: no registrations)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from dockline.dockerfile.analysis import Context, RunInfo
from dockline.dockerfile.findings import Edit, Fix, FixSafety, Hit
from dockline.dockerfile.model import Dockerfile, Instruction, Position, Stage
from dockline.dockerfile.shell import shell_dialect

_VAR = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
ARCHIVE_EXT = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
               ".zip", ".gz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".lz", ".lzma", ".tlz")


def at(ins: Instruction, message: str, fix: Fix | None = None) -> Hit:
    """A hit at an instruction's start."""
    return Hit(ins.pos, message, fix, ins.end_line)


def variables(text: str) -> list[str]:
    """Names referenced as ``$NAME``/``${NAME...}`` in ``text`` (``\\$`` skipped)."""
    return [a or b for a, b in _VAR.findall(text)]


def shell_variables(text: str) -> list[str]:
    """Like :func:`variables` but skipping single-quoted parts (no expansion there)."""
    return variables(re.sub(r"'[^']*'", "", text))


def lineage(df: Dockerfile, st: Stage) -> Iterator[Stage]:
    """``st`` and the stages it is built FROM, nearest first (what a stage's image
    inherits: USER, WORKDIR, LABEL...; for the ARG/ENV scope use ``ctx.scope_of``)."""
    seen: set[int] = set()
    cur: Stage | None = st
    while cur is not None and cur.index not in seen:
        seen.add(cur.index)
        yield cur
        cur = df.stages[cur.parent] if cur.parent is not None and cur.parent < len(df.stages) else None


def stage_instructions(df: Dockerfile, st: Stage) -> list[Instruction]:
    """Instructions that shape ``st``'s image: its parents' first, then its own.

    As long as the lineage: call it for one stage (the final one), never for every
    stage or every instruction -- that is quadratic in a long FROM chain; use
    :func:`inherited_any` there."""
    out: list[Instruction] = []
    for s in reversed(list(lineage(df, st))):
        out.extend(s.instructions)
    return out


def inherited_any(ctx: Context, key: str, own: Callable[[Stage], bool]) -> list[bool]:
    """By stage index: whether ``own`` holds for the stage or a stage it is built FROM.
    One pass over the stages (a parent comes before its children), kept in the file's
    analysis under ``key``: a rule asking for every stage stays linear."""
    memo = ctx.analysis.memo
    if key not in memo:
        out: list[bool] = []
        for s in ctx.df.stages:
            out.append(own(s) or (s.parent is not None and s.parent < s.index and out[s.parent]))
        memo[key] = out
    found: list[bool] = memo[key]
    return found


def words(ins: Instruction) -> list[str]:
    """Arguments as words (exec form: the list; shell form: split on whitespace)."""
    return list(ins.args) if ins.json_form else ins.text.split()


def is_var(text: str) -> bool:
    return "$" in text


def runs_in(ctx: Context, st: Stage) -> list[RunInfo]:
    return [r for r in ctx.runs if r.stage is st]


def source_offset_to_pos(ins: Instruction, offset: int) -> Position:
    """Position of character ``offset`` of ``ins.original`` (which starts at column 1)."""
    before = ins.original[:offset]
    line = ins.pos.line + before.count("\n")
    col = offset - (before.rfind("\n") + 1) + 1
    return Position(line, col)


def insert_after_matches(ins: Instruction, pattern: re.Pattern[str], text: str,
                         which: list[int]) -> tuple[Edit, ...] | None:
    """Edits inserting ``text`` at the end of the ``which``-th matches of ``pattern`` in
    the instruction source; ``None`` when the source does not show the matches
    (e.g. they come from a heredoc or a variable)."""
    matches = list(pattern.finditer(ins.original))
    edits = []
    for k in which:
        if k >= len(matches):
            return None
        p = source_offset_to_pos(ins, matches[k].end())
        edits.append(Edit(p.line, p.column, p.line, p.column, text))
    return tuple(edits)


def replace_instruction(ins: Instruction, new_text: str) -> Edit:
    """An edit replacing the whole instruction (all its physical lines) with ``new_text``."""
    last = ins.original.split("\n")[-1]
    return Edit(ins.pos.line, 1, ins.end_line, len(last) + 1, new_text)


def replace_args(ins: Instruction, new_args: str, safety: FixSafety, description: str) -> Fix | None:
    """A fix replacing everything after the keyword and flags with ``new_args``
    (only for instructions on one physical line)."""
    if ins.end_line != ins.pos.line or ins.arg_pos.line != ins.pos.line or ins.arg_pos.column < 1:
        return None
    line = ins.original
    return Fix(safety, description, (Edit(ins.pos.line, ins.arg_pos.column, ins.pos.line,
                                          len(line.rstrip()) + 1, new_args),))


def exec_form(argv: list[str]) -> str:
    """``["a", "b"]`` as Docker writes JSON form."""
    return "[" + ", ".join(json.dumps(a) for a in argv) + "]"


def has_cache_mount(ins: Instruction, target_prefix: str) -> bool:
    """Whether a ``RUN --mount=type=cache`` targets (a parent of) ``target_prefix``."""
    for f in ins.flags_named("mount"):
        opts: dict[str, str] = {}
        for part in (f.value or "").split(","):
            key, _, val = part.partition("=")
            opts[key.strip()] = val.strip()
        if opts.get("type") != "cache":
            continue
        tgt = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
        tgt = tgt.rstrip("/")
        if tgt and (target_prefix.rstrip("/") == tgt or target_prefix.startswith(tgt + "/")):
            return True
    return False


def is_windows_stage(ctx: Context, st: Stage | None) -> bool:
    if st is None:
        return False
    return shell_dialect(ctx.analysis.stage_shells.get(st.index)) == "windows"


def image_ref_parts(ref: str) -> tuple[str, str | None, str | None]:
    """``registry/name:tag@digest`` → (name-with-registry, tag, digest)."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1:]
    return ref, tag, digest


def base_ref(df: Dockerfile, st: Stage) -> str | None:
    """The base image reference with global ARG defaults expanded, or ``None`` when it
    depends on an ARG without a value, or is another stage."""
    ref = st.base_expanded if st.base_expanded is not None else (None if "$" in st.base else st.base)
    if ref is None:
        return None
    other = df.stage_named(ref)
    if other is not None and other.index < st.index:
        return None
    return ref


def earlier_stage_names(df: Dockerfile, st: Stage) -> set[str]:
    return {s.name for s in df.stages[: st.index] if s.name}
