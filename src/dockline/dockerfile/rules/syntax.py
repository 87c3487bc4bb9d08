"""How the file is written: deprecated instructions, ONBUILD, casing, continuations, pragmas."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Fix, FixSafety, Hit
from dockline.dockerfile.model import Position
from dockline.dockerfile.pragmas import parse_pragmas
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import at, replace_instruction


@rule("DL4000", "maintainer", "error", fix="safe")
def maintainer(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags MAINTAINER.

    ## Why is this bad?
    MAINTAINER is deprecated; a label carries the same information where tools look
    for it.

    ## Example
    ```dockerfile
    FROM debian:12
    MAINTAINER Jane Doe <jane@example.com>
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL maintainer="Jane Doe <jane@example.com>"
    ```

    ## Fix safety
    Safe: replaced by `LABEL maintainer="..."` (the same metadata key `docker
    inspect` shows for MAINTAINER's successor).

    ## References
    - hadolint DL4000; BuildKit check MaintainerDeprecated
    """
    for ins in ctx.df.instructions:
        if ins.keyword == "MAINTAINER":
            fix = None
            value = ins.text.strip()
            if value and "$" not in value:
                indent = re.match(r"^\s*", ins.original).group(0)  # type: ignore[union-attr]
                kw = "LABEL" if ins.original.lstrip()[:1].isupper() else "label"
                fix = Fix(FixSafety.SAFE, "use LABEL maintainer=...",
                          (replace_instruction(ins, f"{indent}{kw} maintainer={json.dumps(value)}"),))
            yield at(ins, "MAINTAINER is deprecated", fix)


@rule("DL3043", "onbuild-forbidden", "error")
def onbuild_forbidden(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD MAINTAINER`.

    ## Why is this bad?
    Docker does not allow these triggers; the build fails.

    ## Example
    ```dockerfile
    FROM debian:12
    ONBUILD FROM alpine:3.20
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ONBUILD RUN echo hello
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3043
    """
    for ins in ctx.df.instructions:
        if ins.keyword == "ONBUILD" and ins.sub is not None and ins.sub.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
            yield at(ins, "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.")


@rule("DL1001", "inline-ignore-pragma", "ignore")
def inline_pragma(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags inline ignore pragmas (`# hadolint ignore=...`, `# dockline ignore=...`).
    Off by default; for teams that want every exception in the config file.

    ## Why is this bad?
    Inline ignores scatter exceptions across files where nobody reviews them.

    ## Example
    ```dockerfile
    FROM debian:12
    # hadolint ignore=DL3003
    RUN cd /tmp && make
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    WORKDIR /tmp
    RUN make
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL1001
    """
    for p in parse_pragmas(ctx.df):
        yield Hit(Position(p.line, 1), "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.")


@rule("DKL016", "empty-continuation", "warning")
def empty_continuation(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags an empty line inside a continued instruction.

    ## Why is this bad?
    Docker skips the empty line today but warns that it will become an error; it
    also makes the instruction look like it ended.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && \\

        apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get update && \\
        apt-get install -y curl
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check NoEmptyContinuation
    """
    esc = ctx.df.escape
    for ins in ctx.df.instructions:
        if ins.end_line == ins.pos.line or ins.heredocs:
            continue
        lines = ins.original.split("\n")
        continued = False
        for k, line in enumerate(lines):
            stripped = line.strip()
            if continued and not stripped:
                yield Hit(Position(ins.pos.line + k, 1), "Empty continuation line", end_line=ins.pos.line + k)
                break
            if stripped.startswith("#"):
                continue
            if stripped:
                body = line.rstrip(" \t")
                continued = body.endswith(esc) and not body.endswith(esc + esc)
            # blank lines keep the continuation going


@rule("DKL017", "inconsistent-instruction-casing", "warning")
def instruction_casing(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags instructions whose keyword casing differs from the file's majority
    (all upper case or all lower case; mixed `Run` always).

    ## Why is this bad?
    Consistent casing makes instructions stand out from their arguments.

    ## Example
    ```dockerfile
    FROM debian:12
    run echo hello
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN echo hello
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check ConsistentInstructionCasing
    """
    raws = []
    for ins in ctx.df.instructions:
        kw = ins.original.lstrip().split(None, 1)[0] if ins.original.strip() else ins.keyword
        raws.append((ins, kw))
    counts = Counter("upper" if kw.isupper() else "lower" if kw.islower() else "mixed" for _, kw in raws)
    majority = "lower" if counts["lower"] > counts["upper"] else "upper"
    for ins, kw in raws:
        kind = "upper" if kw.isupper() else "lower" if kw.islower() else "mixed"
        if kind != majority:
            yield at(ins, f"Command '{kw}' should match the case of the command majority ({majority}case)")
