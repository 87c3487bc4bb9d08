"""COPY and ADD: sources, destinations, and `--from` stages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Edit, Fix, FixSafety, Hit
from dockline.dockerfile.model import Instruction, Stage
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import ARCHIVE_EXT, at, inherited_any, words


def _copies(ctx: Context) -> Iterator[tuple[Stage, Instruction]]:
    for st in ctx.df.stages:
        for ins in st.instructions:
            if ins.keyword in ("COPY", "ADD"):
                yield st, ins
            elif ins.keyword == "ONBUILD" and ins.sub is not None and ins.sub.keyword in ("COPY", "ADD"):
                yield st, ins.sub


@rule("DL3020", "add-instead-of-copy", "error", fix="safe")
def add_for_files(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags ADD of local files or directories (not URLs, not archives).

    ## Why is this bad?
    ADD also downloads URLs and unpacks archives; using it for plain files hides
    which of these you meant.  COPY does one thing.

    ## Example
    ```dockerfile
    FROM debian:12
    ADD app.py /app/
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    COPY app.py /app/
    ```

    ## Fix safety
    Safe: `ADD` becomes `COPY` when ADD has no ADD-only flag (`--checksum`,
    `--keep-git-dir`, `--unpack`); for local non-archive sources both copy the same.

    ## References
    - hadolint DL3020
    - https://docs.docker.com/build/building/best-practices/#add-or-copy
    """
    for st, ins in _copies(ctx):
        if ins.keyword != "ADD" or ins.heredocs:
            continue
        srcs = words(ins)[:-1]
        if not srcs:
            continue
        if any("://" in s or s.startswith("git@") or s.lower().endswith(ARCHIVE_EXT) or "$" in s for s in srcs):
            continue
        fix = None
        if not any(ins.flag(n) for n in ("checksum", "keep-git-dir", "unpack")) and ins.sub is None:
            m = re.match(r"^(\s*)(ADD)\b", ins.original, re.IGNORECASE)
            if m and ins in st.instructions:
                col = len(m.group(1)) + 1
                new = "COPY" if m.group(2).isupper() else "copy"
                fix = Fix(FixSafety.SAFE, "use COPY", (Edit(ins.pos.line, col, ins.pos.line, col + 3, new),))
        yield at(ins, "Use COPY instead of ADD for files and folders", fix)


@rule("DL3021", "copy-multiple-sources-dest", "error")
def copy_dest_slash(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags COPY/ADD with several sources whose destination does not end with `/`.

    ## Why is this bad?
    With several sources the destination must be a directory; Docker refuses the
    build otherwise.

    ## Example
    ```dockerfile
    FROM debian:12
    COPY a.txt b.txt /data
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    COPY a.txt b.txt /data/
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3021
    """
    for _, ins in _copies(ctx):
        ws = words(ins)
        if len(ws) > 2 and not ins.heredocs:
            dest = ws[-1]
            if not dest.endswith("/") and "$" not in dest and not dest.endswith("\\"):
                yield at(ins, "COPY with more than 2 arguments requires the last argument to end with /")


def _from_value(ins: Instruction) -> str | None:
    f = ins.flag("from")
    return None if f is None or f.value is None else f.value


def _looks_like_image(v: str) -> bool:
    return any(c in v for c in ":/@$.")


@rule("DL3022", "copy-from-unknown-stage", "warning")
def copy_from_unknown(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `COPY --from=name` where `name` is neither an earlier stage nor an image
    reference (no `:`, `/` or `.`).

    ## Why is this bad?
    An unknown name is taken as an image to pull: usually a typo of a stage name.

    ## Example
    ```dockerfile
    FROM golang:1.23 AS build
    FROM debian:12
    COPY --from=biuld /out/app /app
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.23 AS build
    FROM debian:12
    COPY --from=build /out/app /app
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3022
    """
    for st, ins in _copies(ctx):
        v = _from_value(ins)
        if v is None or v.isdigit() or _looks_like_image(v):
            continue
        if ctx.df.stage_named(v) is None:
            yield at(ins, "`COPY --from` should reference a previously defined `FROM` alias")


@rule("DKL009", "copy-from-later-stage", "error")
def copy_from_later(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `COPY --from` naming a stage defined later in the file (by name or index),
    or an index past the last stage.

    ## Why is this bad?
    A stage can only copy from stages before it.  The legacy builder treats the
    name as an image and fails to pull it; an index past the end is an error.

    ## Example
    ```dockerfile
    FROM debian:12
    COPY --from=build /out/app /app
    FROM golang:1.23 AS build
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.23 AS build
    FROM debian:12
    COPY --from=build /out/app /app
    ```

    ## Fix safety
    No fix.

    ## References
    - https://docs.docker.com/build/building/multi-stage/
    """
    for st, ins in _copies(ctx):
        v = _from_value(ins)
        if v is None:
            continue
        if v.isdigit():
            if int(v) >= st.index:
                yield at(ins, f"`COPY --from={v}` refers to stage {v}, which is not before this stage ({st.index})")
            continue
        other = ctx.df.stage_named(v)
        if other is not None and other.index > st.index:
            yield at(ins, f"`COPY --from={v}` refers to a stage defined later in the file (line {other.from_instruction.pos.line})")


@rule("DL3023", "copy-from-self", "error")
def copy_from_self(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `COPY --from` naming the stage it is in.

    ## Why is this bad?
    A stage cannot copy from itself; the build fails.

    ## Example
    ```dockerfile
    FROM debian:12 AS app
    COPY --from=app /a /b
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS app
    RUN cp -r /a /b
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3023
    """
    for st, ins in _copies(ctx):
        v = _from_value(ins)
        if v is not None and ((st.name and v.lower() == st.name) or (v.isdigit() and int(v) == st.index)):
            yield at(ins, "`COPY --from` cannot reference its own `FROM` alias")



def _sets_workdir(st: Stage) -> bool:
    return any(i.keyword == "WORKDIR" for i in st.instructions)

@rule("DL3045", "copy-relative-dest-no-workdir", "warning")
def copy_relative(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags COPY to a relative destination in a stage where no WORKDIR was set.

    ## Why is this bad?
    The destination then depends on the base image's WORKDIR, which can change.

    ## Example
    ```dockerfile
    FROM debian:12
    COPY app.py app/
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    WORKDIR /srv
    COPY app.py app/
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3045
    """
    for st in ctx.df.stages:
        has_workdir = st.parent is not None and inherited_any(ctx, "workdir", _sets_workdir)[st.parent]
        for ins in st.instructions:
            if ins.keyword == "WORKDIR":
                has_workdir = True
            if ins.keyword != "COPY" or has_workdir or ins.heredocs:
                continue
            ws = words(ins)
            if len(ws) < 2:
                continue
            dest = ws[-1].strip("\"'")
            if dest.startswith(("/", "$", "\\")) or re.match(r"^[A-Za-z]:", dest):
                continue
            yield at(ins, "`COPY` to a relative destination without `WORKDIR` set.")


@rule("DL3067", "copy-whole-filesystem", "warning")
def copy_whole_fs(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `COPY --from=stage / /`: copying a stage's entire filesystem.

    ## Why is this bad?
    It drags the builder's whole OS (and its toolchain) into the image, which
    defeats the multi-stage build.  Copy the artifacts.

    ## Example
    ```dockerfile
    FROM golang:1.23 AS build
    FROM debian:12
    COPY --from=build / /
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.23 AS build
    FROM debian:12
    COPY --from=build /out/app /usr/local/bin/app
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3067
    """
    for _, ins in _copies(ctx):
        if ins.keyword == "COPY" and ins.flag("from") is not None:
            ws = words(ins)
            if len(ws) >= 2 and any(s.rstrip("/.") == "" for s in ws[:-1]):
                yield at(ins, "Do not copy an entire filesystem from another stage")


# ---- .dockerignore -------------------------------------------------------------------


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus ``**``) as a regex on paths."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if i < len(pattern) and pattern[i] == "/":
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:j]
                if body.startswith("^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _clean(path: str) -> str:
    parts: list[str] = []
    for p in path.replace("\\", "/").split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/".join(parts)


def parse_dockerignore(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per pattern line, in order."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        line = _clean(line)
        if line:
            rules.append((negate, _ignore_regex(line)))
    return rules


def is_ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether ``path`` (or a parent directory of it) is excluded; the last matching
    pattern wins, ``!pattern`` re-includes."""
    path = _clean(path)
    parents = path.split("/")
    candidates = ["/".join(parents[: k + 1]) for k in range(len(parents))]
    excluded = False
    for negate, rx in rules:
        if any(rx.match(c) for c in candidates):
            excluded = not negate
    return excluded


_IGNORE_DEMO = "secrets/\n*.pem\n!public.pem\n"


@rule("DKL021", "copy-ignored-file", "error", doc_files={".dockerignore": _IGNORE_DEMO})
def copy_ignored(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags COPY/ADD of a build-context path that `.dockerignore` excludes (the engine
    reads `<Dockerfile>.dockerignore` or the context's `.dockerignore`).

    ## Why is this bad?
    Excluded files are not sent to the builder: the COPY fails with "not found", or
    (for a directory with some files excluded) silently copies less than intended.
    Usually the ignore file is right -- a secret or build output -- and the COPY is
    the mistake.

    ## Example
    ```dockerfile
    FROM debian:12
    COPY secrets/db.key /etc/app/
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    COPY public.pem /etc/app/
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check CopyIgnoredFile
    - https://docs.docker.com/build/concepts/context/#dockerignore-files
    """
    text = ctx.files.get(".dockerignore")
    if not text:
        return
    rules = parse_dockerignore(text)
    if not rules:
        return
    for _, ins in _copies(ctx):
        if ins.flag("from") is not None or ins.heredocs:
            continue
        for src in words(ins)[:-1]:
            if "://" in src or src.startswith("git@") or "$" in src or any(ch in src for ch in "*?["):
                continue
            if is_ignored(src, rules):
                yield at(ins, f"{ins.keyword} {src}: .dockerignore excludes it, so the builder does not have it")
                break
