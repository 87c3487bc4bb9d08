"""What RUN bodies do: commands that do not belong in a build, pipes, downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Hit
from dockline.dockerfile.model import Instruction
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import at, words
from dockline.dockerfile.rules.packages import APK_VALUE_FLAGS, APT_VALUE_FLAGS, YUM_VALUE_FLAGS

_TAR_EXT = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
_POINTLESS = ("ssh", "vim", "shutdown", "service", "ps", "free", "top", "kill", "mount", "ifconfig")


@rule("DL3001", "pointless-command", "info")
def pointless_command(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags commands that make no sense in an image build: `ssh`, `vim`, `shutdown`,
    `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`.

    ## Why is this bad?
    A build step has no services, no terminal and no other processes: these
    commands either do nothing useful or show a misunderstanding of what RUN does.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN service nginx start
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3001
    """
    for run in ctx.runs:
        found = sorted({c.basename for c in run.named(*_POINTLESS)})
        if found:
            yield at(run.at, "For some bash commands it makes no sense running them in a Docker container "
                             f"like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, "
                             f"`ifconfig` ({', '.join(found)})")


@rule("DL3003", "cd-in-run", "warning")
def cd_in_run(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `cd` in RUN.

    ## Why is this bad?
    The directory change is lost at the end of the RUN, which surprises readers;
    `WORKDIR` states the directory once, for every later instruction.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN cd /app && make
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    WORKDIR /app
    RUN make
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3003
    """
    for run in ctx.runs:
        if run.named("cd"):
            yield at(run.at, "Use WORKDIR to switch to a directory")


@rule("DL3004", "sudo", "error")
def sudo(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `sudo` in RUN.

    ## Why is this bad?
    RUN already runs as the current `USER`; sudo adds a setuid binary to the image
    and unpredictable TTY and signal behaviour.  Switch with `USER` instead.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN sudo apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    USER root
    RUN apt-get install -y curl
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3004
    """
    for run in ctx.runs:
        if any(c.basename == "sudo" for c in run.commands):
            yield at(run.at, "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root")


@rule("DL3010", "copy-then-extract", "info")
def copy_then_extract(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a COPY of a local tar archive that a later RUN of the same stage extracts
    with `tar` (ADD unpacks tar archives, compressed or not; it does not unpack zip).

    ## Why is this bad?
    The archive stays in the COPY layer even if the RUN deletes it.  `ADD` extracts
    local tar archives in one step (or extract in a builder stage).

    ## Example
    ```dockerfile
    FROM debian:12
    COPY app.tar.gz /tmp/
    RUN tar -xzf /tmp/app.tar.gz -C /opt
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ADD app.tar.gz /opt/
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3010
    """
    for st in ctx.df.stages:
        archives: dict[str, Instruction] = {}  # basename -> the COPY that brought it
        reported: set[int] = set()
        for ins in st.instructions:
            if ins.keyword == "COPY" and not ins.flag("from"):
                for src in words(ins)[:-1]:
                    if src.lower().endswith(_TAR_EXT):
                        archives[src.rsplit("/", 1)[-1]] = ins
            elif ins.keyword == "RUN" and archives:
                run = ctx.run_of(ins)
                if run is None:
                    continue
                for c in run.named("tar"):
                    if not any((a.startswith("-") and "x" in a) or a == "--extract" or re.match(r"^[a-z]*x", a)
                               for a in c.args[:2]):
                        continue
                    for a in c.args:
                        copy = archives.get(a.rsplit("/", 1)[-1])
                        if copy is not None and id(copy) not in reported:
                            reported.add(id(copy))
                            yield at(copy, "Use ADD for extracting archives into an image")


@rule("DL3046", "useradd-high-uid", "warning")
def useradd_high_uid(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `useradd` with a high UID (more than 5 digits) without `-l` (`--no-log-init`).

    ## Why is this bad?
    useradd writes the lastlog/faillog entry for the UID into a sparse file; in an
    image layer the file is no longer sparse and a large UID makes it gigabytes big.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN useradd -u 1000000 app
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN useradd -l -u 1000000 app
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3046
    - https://github.com/moby/moby/issues/5419
    """
    for run in ctx.runs:
        for c in run.named("useradd"):
            uid = c.flag_value("u", "uid")
            if uid and uid.isdigit() and len(uid) > 5 and not c.has_flag("l", "no-log-init"):
                yield at(run.at, "`useradd` without flag `-l` and high UID will result in excessively large Image.")
                break


@rule("DL3047", "wget-progress", "info")
def wget_progress(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `wget` without `--progress` (or `-q`/`-nv`/`-o`).

    ## Why is this bad?
    wget's default progress bar writes a line per percent into the build log,
    which bloats it to megabytes for big downloads.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN wget https://example.org/app.tar.gz
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN wget --progress=dot:giga https://example.org/app.tar.gz
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3047
    """
    for run in ctx.runs:
        for c in run.named("wget"):
            if not c.has_flag("progress", "q", "quiet", "nv", "no-verbose", "o", "output-file", "a",
                              "append-output", "show-progress"):
                yield at(run.at, "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. "
                                 "Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).")
                break


@rule("DL4001", "wget-and-curl", "warning")
def wget_and_curl(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags the RUNs of a stage that use `wget` or `curl` once both have been used.

    ## Why is this bad?
    Two download tools for one job: one more package to install, patch and scan.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN wget -q https://example.org/a
    RUN curl -fsSLO https://example.org/b
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN curl -fsSLO https://example.org/a
    RUN curl -fsSLO https://example.org/b
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL4001
    """
    seen: dict[int, set[str]] = {}  # by stage (ctx.runs is in stage order: one pass, not one per stage)
    for r in ctx.runs:
        if r.stage is None:
            continue
        tools = {c.basename for c in r.named("wget", "curl")}
        in_stage = seen.setdefault(id(r.stage), set())
        in_stage |= tools
        if tools and {"wget", "curl"} <= in_stage:
            yield at(r.at, "Either use Wget or Curl but not both")


@rule("DL4005", "ln-bin-sh", "warning")
def ln_bin_sh(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `ln` that replaces `/bin/sh`.

    ## Why is this bad?
    Relinking `/bin/sh` changes the shell of every script in the image, including
    the distribution's own maintainer scripts.  `SHELL` changes only what RUN uses.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN ln -sf /bin/bash /bin/sh
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    SHELL ["/bin/bash", "-c"]
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL4005
    """
    for run in ctx.runs:
        if any(c.positionals()[-1:] == ("/bin/sh",) for c in run.named("ln")):
            yield at(run.at, "Use SHELL to change the default shell")


@rule("DL4006", "pipe-without-pipefail", "warning")
def pipefail(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a RUN with a pipe when neither `SHELL` nor the RUN itself sets
    `-o pipefail`.

    ## Why is this bad?
    A pipeline's status is that of its last command: `wget -O- URL | tar x` succeeds
    when the download fails, and the build goes on with a broken image.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN wget -qO- https://example.org/app.tar.gz | tar xz
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    RUN wget -qO- https://example.org/app.tar.gz | tar xz
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL4006
    - https://docs.docker.com/build/building/best-practices/#using-pipes
    """
    for run in ctx.runs:
        if run.script.dialect != "posix" or run.instruction.json_form:
            continue
        if not any(c.pipe_length > 1 for c in run.commands):
            continue
        shell = run.shell
        if "pipefail" in " ".join(shell):
            continue
        exe = shell[0].rsplit("/", 1)[-1] if shell else "sh"
        if exe in ("pwsh", "powershell", "cmd", "cmd.exe", "powershell.exe"):
            continue
        first_pipe = min(c.offset for c in run.commands if c.pipe_length > 1)
        if any(c.name == "set" and c.offset < first_pipe and "pipefail" in c.args for c in run.commands):
            continue
        yield at(run.at, "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using "
                         "/bin/sh in an alpine image or if your shell is symlinked to busybox then consider "
                         "explicitly setting your SHELL to /bin/ash, or disable this check")


@rule("DL3059", "consecutive-runs", "info")
def consecutive_runs(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a RUN that directly follows another RUN with the same flags (comments
    between them do not count), when both are single commands (`[ ... ]` tests not
    counted): RUNs that chain several commands were most likely split on purpose.

    ## Why is this bad?
    Each RUN is a layer; files deleted in a later layer still weigh in the earlier
    one.  Consolidate steps that belong together.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update
    RUN apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3059
    """
    def size(ins: Instruction) -> int:
        run = ctx.run_of(ins)
        if run is None:
            return 0
        if run.script.dialect == "windows":  # not parsed: count ';'-separated statements
            return len([part for part in re.split(r"[;\n]", run.script.text) if part.strip()])
        return sum(1 for c in run.commands if c.words and c.name not in ("[", "[["))

    for st in ctx.df.stages:
        prev = None
        for ins in st.instructions:
            if ins.keyword == "RUN" and prev is not None and prev.keyword == "RUN":
                same_flags = sorted(f.raw for f in ins.flags) == sorted(f.raw for f in prev.flags)
                if same_flags and size(ins) <= 1 and size(prev) <= 1:
                    yield at(ins, "Multiple consecutive `RUN` instructions. Consider consolidation.")
            prev = ins


_TOOLCHAIN = re.compile(
    r"^(gcc|g\+\+|gcc-\d+|g\+\+-\d+|clang|clang-\d+|make|cmake|build-essential|build-base|autoconf|automake|"
    r"libtool|pkg-config|pkgconf|golang|golang-go|rustc|cargo|maven|gradle|git|"
    r"[a-z0-9.+-]+-dev|[a-z0-9.+-]+-devel)(=.*)?$"
)


@rule("DKL006", "toolchain-in-final-stage", "warning")
def toolchain_left(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a single-stage build whose image keeps build tools: compilers, `make`,
    `git`, `-dev`/`-devel` packages installed by apt-get, apk, yum or dnf and never
    removed (`apt-get purge`, `apk del`, `yum remove`...).

    ## Why is this bad?
    Build tools make the shipped image several times larger and give an attacker a
    compiler.  The talk's practice: build in a builder stage, then
    `COPY --from=builder` only the artifacts into the image you ship.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y gcc make && make -C /src install
    CMD ["/usr/local/bin/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS build
    RUN apt-get update && apt-get install -y gcc make && make -C /src install
    FROM debian:12
    COPY --from=build /usr/local/bin/app /usr/local/bin/app
    CMD ["/usr/local/bin/app"]
    ```

    ## Fix safety
    No fix: splitting a build into stages is a design change.

    ## References
    - Talk "Docker Image Development", slide *Multi-Stage Builds*
    - https://docs.docker.com/build/building/multi-stage/
    """
    if len(ctx.df.stages) != 1:
        return
    st = ctx.df.stages[0]
    installed: list[tuple[object, list[str]]] = []
    removed = False
    for run in [r for r in ctx.runs if r.stage is st]:
        for c in run.named("apt-get", "apt", "apk", "yum", "dnf", "microdnf"):
            vf = {"apk": APK_VALUE_FLAGS}.get(c.basename, APT_VALUE_FLAGS if c.basename.startswith("apt") else YUM_VALUE_FLAGS)
            pos = list(c.positionals(vf))
            if not pos:
                continue
            if pos[0] in ("purge", "remove", "autoremove", "del", "erase"):
                removed = True
            elif pos[0] in ("install", "add"):
                tools = [p for p in pos[1:] if _TOOLCHAIN.match(p)]
                if tools:
                    installed.append((run.at, tools))
    if installed and not removed:
        ins, tools = installed[0]
        names = sorted({t.split("=")[0] for _, ts in installed for t in ts})
        yield at(ins, f"build toolchain ({', '.join(names[:6])}) stays in the shipped image; build in a "  # type: ignore[arg-type]
                      "builder stage and COPY --from it only the artifacts")


@rule("DKL005", "chown-after-copy", "warning")
def chown_after_copy(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `RUN chown`/`chmod` of files that a COPY/ADD of the same stage just put
    there.

    ## Why is this bad?
    chown/chmod rewrites every file into a new layer: the files are stored twice and
    the image grows by their size.  `COPY --chown=user:group` (and `--chmod` with
    BuildKit; with the legacy builder, the mode the file has in the build context)
    sets owner and mode in the COPY layer itself.

    ## Example
    ```dockerfile
    FROM nginx:1.27
    COPY dist/ /usr/share/nginx/html/
    RUN chown -R nginx:nginx /usr/share/nginx/html
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    COPY --chown=nginx:nginx dist/ /usr/share/nginx/html/
    ```

    ## Fix safety
    No fix.

    ## References
    - Talk "Docker Image Development", slide *COPY* (`--chown=user:group`)
    - https://docs.docker.com/reference/dockerfile/#copy---chown---chmod
    """
    for st in ctx.df.stages:
        dests: list[str] = []
        workdir = "/"
        for ins in st.instructions:
            if ins.keyword == "WORKDIR" and ins.args:
                w = ins.text.strip()
                workdir = w if w.startswith("/") else workdir.rstrip("/") + "/" + w
            if ins.keyword in ("COPY", "ADD"):
                ws = words(ins)
                if len(ws) >= 2 and not ins.heredocs:
                    d = ws[-1]
                    if not d.startswith("/"):
                        d = workdir.rstrip("/") + "/" + d
                    dests.append(d.rstrip("/") or "/")
            if ins.keyword != "RUN" or not dests:
                continue
            run = ctx.run_of(ins)
            if run is None:
                continue
            for c in run.named("chown", "chmod"):
                targets = [a.rstrip("/") for a in c.positionals()[1:] if a.startswith("/")]
                recursive = c.has_flag("R", "recursive")
                hit = [t for t in targets if any(t == d or t.startswith(d + "/") or (recursive and d.startswith(t + "/"))
                                                 for d in dests if d != "/")]
                if hit:
                    how = ("`COPY --chown=user:group`" if c.basename == "chown" else
                           "`COPY --chmod=...` (BuildKit) or the mode the file has in the build context")
                    yield at(ins, f"`{c.basename}` of {hit[0]}, which a COPY of this stage created, stores the "
                                  f"files a second time in a new layer: use {how} instead")
                    break
