"""Package managers in RUN: pinning, caches, non-interactive installs (hadolint DL30xx)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context, RunInfo
from dockline.dockerfile.findings import Edit, Fix, FixSafety, Hit
from dockline.dockerfile.model import Stage
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import (
    at,
    has_cache_mount,
    inherited_any,
    insert_after_matches,
)
from dockline.dockerfile.shell import Command

APT_VALUE_FLAGS = frozenset({"o", "t", "c", "target-release", "option", "config-file", "default-release"})
APK_VALUE_FLAGS = frozenset({"t", "virtual", "X", "repository", "p", "root", "repositories-file", "arch",
                             "keys-dir", "cache-dir", "cache-max-age"})
YUM_VALUE_FLAGS = frozenset({"c", "config", "d", "debuglevel", "e", "errorlevel", "R", "randomwait",
                             "installroot", "releasever", "enablerepo", "disablerepo", "x", "exclude",
                             "setopt", "repo", "repoid", "forcearch", "downloaddir", "destdir",
                             "nodocs"})
PIP_VALUE_FLAGS = frozenset({"r", "requirement", "c", "constraint", "e", "editable", "t", "target",
                             "i", "index-url", "extra-index-url", "f", "find-links", "prefix", "root",
                             "src", "upgrade-strategy", "platform", "python-version", "implementation",
                             "abi", "trusted-host", "cert", "client-cert", "proxy", "timeout", "retries",
                             "log", "cache-dir", "progress-bar", "global-option", "install-option",
                             "config-settings", "C", "report", "only-binary", "no-binary", "exists-action",
                             "python"})
NPM_VALUE_FLAGS = frozenset({"prefix", "registry", "cache", "userconfig", "tag", "workspace", "w",
                             "loglevel", "omit", "include", "install-strategy"})


def _sub_commands(run: RunInfo, tool: tuple[str, ...], sub: tuple[str, ...]) -> Iterator[Command]:
    """Commands ``tool ... sub ...`` (the subcommand is the first positional)."""
    for c in run.named(*tool):
        pos = c.positionals(APT_VALUE_FLAGS if c.basename.startswith("apt") else frozenset())
        if pos and pos[0] in sub:
            yield c


def _packages_after(c: Command, sub: tuple[str, ...], value_flags: frozenset[str]) -> list[str]:
    pos = list(c.positionals(value_flags))
    while pos and pos[0] not in sub:
        pos.pop(0)
    return pos[1:]


# ---- apt ---------------------------------------------------------------------------


def _apt_installs(run: RunInfo) -> list[Command]:
    return list(_sub_commands(run, ("apt-get",), ("install",)))


@rule("DL3008", "apt-get-unpinned", "warning")
def apt_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `apt-get install` of a package without a version (`pkg=1.2.3`).

    ## Why is this bad?
    Without a version the image gets whatever the mirror serves on the day of the
    build: rebuilding the same Dockerfile gives a different image, and a cached layer
    may hide an update you wanted.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5
    ```

    ## Fix safety
    No fix: the version to pin is a decision.

    ## References
    - hadolint DL3008
    - https://docs.docker.com/build/building/best-practices/#apt-get
    """
    for run in ctx.runs:
        for c in _apt_installs(run):
            pkgs = _packages_after(c, ("install",), APT_VALUE_FLAGS)
            loose = [p for p in pkgs if "=" not in p and not p.endswith(".deb") and not p.startswith(("/", "./", "$"))]
            if loose:
                yield at(run.at, "Pin versions in apt get install. Instead of `apt-get install <package>` "
                                 f"use `apt-get install <package>=<version>` ({', '.join(loose[:5])})")
                break


@rule("DL3009", "apt-lists-kept", "info", fix="unsafe")
def apt_lists_kept(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a RUN in the final stage that runs `apt-get update` but does not delete
    `/var/lib/apt/lists` in the same RUN (`rm -rf /var/lib/apt/lists/*` or, with
    apt 3.0+ (Debian 13), `apt-get distclean`).

    ## Why is this bad?
    The package lists (tens of MB) stay in the layer forever, even if a later RUN
    deletes them.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    ```

    ## Fix safety
    Unsafe (`--unsafe-fixes`): appends `&& rm -rf /var/lib/apt/lists/*` to the RUN.
    A later RUN of the stage that runs `apt-get install` without its own
    `apt-get update` then fails.  Only offered when the RUN is a plain command list
    whose last line ends the last command.

    ## References
    - hadolint DL3009
    - https://docs.docker.com/build/building/best-practices/#apt-get
    """
    final = ctx.analysis.final_stage
    for run in ctx.runs:
        if run.stage is not final:
            continue
        if not list(_sub_commands(run, ("apt-get",), ("update",))):
            continue
        if has_cache_mount(run.instruction, "/var/lib/apt/lists"):
            continue
        cleaned = any(
            any(a.startswith("/var/lib/apt/lists") for a in c.args) for c in run.named("rm")
        ) or any(c.positionals()[:1] in (("dist-clean",), ("distclean",)) for c in run.named("apt-get", "apt"))
        if not cleaned:
            yield at(run.at, "Delete the apt-get lists after installing something", _append_rm_lists(run))


def _append_rm_lists(run: RunInfo) -> Fix | None:
    ins = run.instruction
    if run.at is not ins or ins.json_form or ins.heredocs or not run.commands or run.script.errors:
        return None
    last = run.commands[-1]
    if last.depth or last.in_substitution or any(c.separator == "&" for c in run.commands):
        return None
    line = ins.original.split("\n")[-1]
    body = line.rstrip()
    if not body or "#" in body or body.endswith(("\\", ";", "&", "|", "(", "{")):
        return None
    p = ins.end_line
    return Fix(FixSafety.UNSAFE, "delete the apt lists in the same RUN",
               (Edit(p, len(body) + 1, p, len(body) + 1, " && rm -rf /var/lib/apt/lists/*"),))


@rule("DL3014", "apt-get-without-yes", "warning", fix="safe")
def apt_no_yes(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `apt-get install` without `-y` (`--yes`, `--assume-yes`, `-qq`).

    ## Why is this bad?
    A build has no terminal: apt-get asks for confirmation and the build fails.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get install curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get install -y curl
    ```

    ## Fix safety
    Safe: inserts `-y` after `install`.

    ## References
    - hadolint DL3014
    """
    for run in ctx.runs:
        bad = [k for k, c in enumerate(_apt_installs(run))
               if not c.has_flag("y", "yes", "assume-yes") and not any(a in ("-qq", "-q=2", "--quiet=2") for a in c.args)]
        if bad:
            yield at(run.at, "Use the -y switch to avoid manual input `apt-get -y install <package>`",
                     _insert_fix(run, _APT_INSTALL, " -y", bad, len(_apt_installs(run)), "add -y"))


_APT_INSTALL = re.compile(r"\bapt-get\b(?:[ \t]+(?:-[^\s]+|\\\n))*[ \t]+install\b")
_APK_ADD = re.compile(r"\bapk\b(?:[ \t]+(?:-[^\s]+|\\\n))*[ \t]+add\b")
_PIP_INSTALL = re.compile(r"\bpip[0-9.]*\b(?:[ \t]+(?:-[^\s]+|\\\n))*[ \t]+install\b")


def _insert_fix(run: RunInfo, pattern: re.Pattern[str], text: str, which: list[int], total: int,
                description: str) -> Fix | None:
    if run.instruction is not run.at or run.instruction.heredocs:
        return None
    if len(pattern.findall(run.instruction.original)) != total:
        return None  # the source does not show the commands one to one
    edits = insert_after_matches(run.instruction, pattern, text, which)
    return Fix(FixSafety.SAFE, description, edits) if edits else None


@rule("DL3015", "apt-get-recommends", "info", fix="safe")
def apt_recommends(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `apt-get install` without `--no-install-recommends`.

    ## Why is this bad?
    Recommended packages are not needed to run the software and often double the
    size of the layer.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get install -y --no-install-recommends curl
    ```

    ## Fix safety
    Safe: inserts `--no-install-recommends` after `install`.  A package that relied
    on a recommended one may need it listed explicitly; the build shows it.

    ## References
    - hadolint DL3015
    """
    for run in ctx.runs:
        cmds = _apt_installs(run)
        bad = [k for k, c in enumerate(cmds)
               if not c.has_flag("no-install-recommends")
               and not any("Install-Recommends" in a and ("false" in a.lower() or "0" in a) for a in c.args)]
        if bad:
            yield at(run.at, "Avoid additional packages by specifying `--no-install-recommends`",
                     _insert_fix(run, _APT_INSTALL, " --no-install-recommends", bad, len(cmds),
                                 "add --no-install-recommends"))


@rule("DL3027", "apt-command", "warning")
def apt_command(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags the use of `apt` in RUN.

    ## Why is this bad?
    `apt` is meant for people: its output and behaviour are not stable for scripts
    (it warns so itself).  `apt-get` and `apt-cache` are.

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN apt-get install -y curl
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3027
    """
    for run in ctx.runs:
        if run.named("apt"):
            yield at(run.at, "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead")


# ---- apk ---------------------------------------------------------------------------


def _apk_adds(run: RunInfo) -> list[Command]:
    out = []
    for c in run.named("apk"):
        pos = c.positionals(APK_VALUE_FLAGS)
        if pos and pos[0] == "add":
            out.append(c)
    return out


@rule("DL3018", "apk-unpinned", "warning")
def apk_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `apk add` of a package without a version (`pkg=1.2.3-r0`).

    ## Why is this bad?
    As for apt: unpinned packages make rebuilds unreproducible.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl=8.9.1-r0
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3018
    """
    for run in ctx.runs:
        for c in _apk_adds(run):
            pkgs = _packages_after(c, ("add",), APK_VALUE_FLAGS)
            loose = [p for p in pkgs if not re.search(r"[=<>~]", p) and not p.endswith(".apk")
                     and not p.startswith(("/", "./", "$"))]
            if loose:
                yield at(run.at, "Pin versions in apk add. Instead of `apk add <package>` use "
                                 f"`apk add <package>=<version>` ({', '.join(loose[:5])})")
                break


@rule("DL3019", "apk-cache-kept", "info", fix="safe")
def apk_cache(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `apk add` without `--no-cache`.

    ## Why is this bad?
    The package index stays in `/var/cache/apk` and bloats the image.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk add curl=8.9.1-r0
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl=8.9.1-r0
    ```

    ## Fix safety
    Safe: inserts `--no-cache` after `add`.

    ## References
    - hadolint DL3019
    """
    for run in ctx.runs:
        if has_cache_mount(run.instruction, "/var/cache/apk") or has_cache_mount(run.instruction, "/etc/apk/cache"):
            continue
        cmds = _apk_adds(run)
        bad = [k for k, c in enumerate(cmds) if not c.has_flag("no-cache", "no-network")]
        if bad:
            yield at(run.at, "Use the `--no-cache` switch to avoid the need to use `--update` and remove "
                             "`/var/cache/apk/*` when done installing packages",
                     _insert_fix(run, _APK_ADD, " --no-cache", bad, len(cmds), "add --no-cache"))


# ---- yum / dnf / zypper --------------------------------------------------------------


def _rpm_installs(run: RunInfo, tools: tuple[str, ...]) -> list[Command]:
    out = []
    for c in run.named(*tools):
        pos = c.positionals(YUM_VALUE_FLAGS)
        if pos and pos[0] in ("install", "groupinstall", "localinstall", "in"):
            out.append(c)
    return out


def _rpm_unpinned(c: Command) -> list[str]:
    pkgs = _packages_after(c, ("install", "groupinstall", "localinstall", "in"), YUM_VALUE_FLAGS)
    return [p for p in pkgs if not re.search(r"-\d", p) and not p.endswith(".rpm") and "=" not in p
            and not p.startswith(("/", "./", "$", "http:", "https:", "@"))]


def _cleaned(run: RunInfo, tools: tuple[str, ...], cache_dir: str) -> bool:
    for c in run.named(*tools):
        pos = c.positionals(YUM_VALUE_FLAGS)
        if len(pos) >= 2 and pos[0] == "clean" and pos[1] == "all":
            return True
    for c in run.named("rm"):
        if any(a.startswith(cache_dir) for a in c.args):
            return True
    return has_cache_mount(run.instruction, cache_dir)


@rule("DL3030", "yum-without-yes", "warning")
def yum_no_yes(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `yum install` without `-y` (`--assumeyes`).

    ## Why is this bad?
    yum waits for a confirmation that never comes in a build.

    ## Example
    ```dockerfile
    FROM centos:7
    RUN yum install httpd-2.4.6 && yum clean all
    ```

    ## Use instead
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd-2.4.6 && yum clean all
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3030
    """
    for run in ctx.runs:
        if any(not c.has_flag("y", "assumeyes") for c in _rpm_installs(run, ("yum",))):
            yield at(run.at, "Use the -y switch to avoid manual input `yum install -y <package>`")


@rule("DL3032", "yum-cache-kept", "warning")
def yum_clean(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `yum install` without `yum clean all` in the same RUN.

    ## Why is this bad?
    The yum cache stays in the layer.

    ## Example
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd-2.4.6
    ```

    ## Use instead
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd-2.4.6 && yum clean all
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3032
    """
    for run in ctx.runs:
        if _rpm_installs(run, ("yum",)) and not _cleaned(run, ("yum",), "/var/cache/yum"):
            yield at(run.at, "`yum clean all` missing after yum command.")


@rule("DL3033", "yum-unpinned", "warning")
def yum_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `yum install` of a package without a version (`pkg-1.2`).

    ## Why is this bad?
    Unpinned packages make rebuilds unreproducible.

    ## Example
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd && yum clean all
    ```

    ## Use instead
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd-2.4.6 && yum clean all
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3033
    """
    for run in ctx.runs:
        if any(_rpm_unpinned(c) for c in _rpm_installs(run, ("yum",))):
            yield at(run.at, "Specify version with `yum install -y <package>-<version>`.")


@rule("DL3038", "dnf-without-yes", "warning")
def dnf_no_yes(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `dnf install` (or `microdnf install`) without `-y` (`--assumeyes`).

    ## Why is this bad?
    dnf waits for a confirmation that never comes in a build.

    ## Example
    ```dockerfile
    FROM fedora:40
    RUN dnf install httpd-2.4.6 && dnf clean all
    ```

    ## Use instead
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd-2.4.6 && dnf clean all
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3038
    """
    for run in ctx.runs:
        if any(not c.has_flag("y", "assumeyes") for c in _rpm_installs(run, ("dnf", "microdnf"))):
            yield at(run.at, "Use the -y switch to avoid manual input `dnf install -y <package>`")


@rule("DL3040", "dnf-cache-kept", "warning")
def dnf_clean(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `dnf install` (or `microdnf install`) without `dnf clean all` in the same RUN.

    ## Why is this bad?
    The dnf cache stays in the layer.

    ## Example
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd-2.4.6
    ```

    ## Use instead
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd-2.4.6 && dnf clean all
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3040
    """
    for run in ctx.runs:
        for tool in ("dnf", "microdnf"):
            if _rpm_installs(run, (tool,)) and not _cleaned(run, (tool,), "/var/cache/" + ("dnf" if tool == "dnf" else "yum")) \
                    and not _cleaned(run, (tool,), "/var/cache/dnf"):
                yield at(run.at, f"`{tool} clean all` missing after dnf command.")
                break


@rule("DL3041", "dnf-unpinned", "warning")
def dnf_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `dnf install` of a package without a version (`pkg-1.2`).

    ## Why is this bad?
    Unpinned packages make rebuilds unreproducible.

    ## Example
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd && dnf clean all
    ```

    ## Use instead
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd-2.4.6 && dnf clean all
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3041
    """
    for run in ctx.runs:
        if any(_rpm_unpinned(c) for c in _rpm_installs(run, ("dnf", "microdnf"))):
            yield at(run.at, "Specify version with `dnf install -y <package>-<version>`.")


def _zypper_installs(run: RunInfo) -> list[Command]:
    out = []
    for c in run.named("zypper"):
        pos = c.positionals(frozenset({"root", "R", "config", "c", "t", "type", "r", "repo", "from"}))
        if pos and pos[0] in ("install", "in"):
            out.append(c)
    return out


@rule("DL3034", "zypper-interactive", "warning")
def zypper_no_yes(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `zypper install` without a non-interactive switch (`-n`,
    `--non-interactive`, `-y`, `--no-confirm`).

    ## Why is this bad?
    zypper waits for a confirmation that never comes in a build.

    ## Example
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install httpd=2.4.6 && zypper clean
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install -y httpd=2.4.6 && zypper clean
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3034
    """
    for run in ctx.runs:
        if any(not c.has_flag("n", "non-interactive", "y", "no-confirm") for c in _zypper_installs(run)):
            yield at(run.at, "Non-interactive switch missing from `zypper` command: `zypper install -y`")


@rule("DL3035", "zypper-dist-upgrade", "warning")
def zypper_dup(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `zypper dist-upgrade` (`zypper dup`).

    ## Why is this bad?
    A distribution upgrade inside an image build changes the whole base in ways the
    base image's maintainers did not test; use a newer base image instead.

    ## Example
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper dist-upgrade -y
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install -y httpd=2.4.6 && zypper clean
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3035
    """
    for run in ctx.runs:
        for c in run.named("zypper"):
            if any(a in ("dist-upgrade", "dup") for a in c.positionals()[:1]):
                yield at(run.at, "Do not use `zypper dist-upgrade`.")
                break


@rule("DL3036", "zypper-cache-kept", "warning")
def zypper_clean(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `zypper install` without `zypper clean` in the same RUN.

    ## Why is this bad?
    The zypper cache stays in the layer.

    ## Example
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install -y httpd=2.4.6
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install -y httpd=2.4.6 && zypper clean
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3036
    """
    for run in ctx.runs:
        if not _zypper_installs(run):
            continue
        if any(p[:1] in (["clean"], ["cc"]) for p in (list(c.positionals()) for c in run.named("zypper"))):
            continue
        yield at(run.at, "`zypper clean` missing after zypper use.")


@rule("DL3037", "zypper-unpinned", "warning")
def zypper_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `zypper install` of a package without a version (`pkg=1.2`).

    ## Why is this bad?
    Unpinned packages make rebuilds unreproducible.

    ## Example
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install -y httpd && zypper clean
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper install -y httpd=2.4.6 && zypper clean
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3037
    """
    for run in ctx.runs:
        for c in _zypper_installs(run):
            pkgs = _packages_after(c, ("install", "in"), frozenset({"t", "type", "r", "repo", "from"}))
            if any(not re.search(r"[=<>]", p) and not p.endswith(".rpm") and not p.startswith("$") for p in pkgs):
                yield at(run.at, "Specify version with `zypper install -y <package>=<version>`.")
                break


# ---- pip / npm / gem / go / yarn -----------------------------------------------------


def _pip_installs(run: RunInfo) -> list[Command]:
    out = []
    for c in run.effective_commands:
        if not c.basename.startswith(("pip", "python")):
            continue
        argv = c.argv
        b = c.basename
        if re.fullmatch(r"pip[0-9.]*", b):
            pos = c.positionals(PIP_VALUE_FLAGS)
            if pos and pos[0] == "install":
                out.append(c)
        elif re.fullmatch(r"python[0-9.]*", b) and len(argv) >= 4 and "-m" in argv:
            i = argv.index("-m")
            if i + 2 < len(argv) and argv[i + 1] == "pip" and argv[i + 2] == "install":
                out.append(c)
    return out


def _pip_args(c: Command) -> list[str]:
    argv = list(c.argv)
    i = argv.index("install")
    return argv[i + 1:]


@rule("DL3013", "pip-unpinned", "warning")
def pip_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `pip install` of a package without a version (`pkg==1.2`), unless a
    requirements or constraints file is used.

    ## Why is this bad?
    Unpinned packages make rebuilds unreproducible, and a new major release can
    break the image without any change to the Dockerfile.

    ## Example
    ```dockerfile
    FROM python:3.12
    RUN pip install --no-cache-dir flask
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12
    RUN pip install --no-cache-dir flask==3.0.3
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3013
    - https://pip.pypa.io/en/stable/topics/repeatable-installs/
    """
    for run in ctx.runs:
        for c in _pip_installs(run):
            args = _pip_args(c)
            if any(a in ("-r", "--requirement", "-c", "--constraint") or a.startswith(("--requirement=", "--constraint="))
                   for a in args):
                continue
            pkgs = []
            i = 0
            while i < len(args):
                a = args[i]
                if a.startswith("-"):
                    if a.lstrip("-") in PIP_VALUE_FLAGS and "=" not in a:
                        i += 1
                else:
                    pkgs.append(a)
                i += 1
            loose = [p for p in pkgs if not re.search(r"(==|>=|<=|~=|!=|<|>|@|===)", p)
                     and not p.startswith((".", "/", "$", "http:", "https:", "file:"))
                     and not re.search(r"\.(whl|tar\.gz|zip|tgz)$", p) and not ("/" in p and "://" not in p)]
            if loose:
                yield at(run.at, "Pin versions in pip. Instead of `pip install <package>` use "
                                 f"`pip install <package>==<version>` or `pip install --requirement <requirements file>` "
                                 f"({', '.join(loose[:5])})")
                break



def _sets_pip_no_cache_dir(st: Stage) -> bool:
    return any(k.upper() == "PIP_NO_CACHE_DIR" and (v or "").lower() not in ("0", "false", "off", "no")
               for ins in st.instructions if ins.keyword in ("ENV", "ARG") for k, v in ins.key_values)

@rule("DL3042", "pip-cache-kept", "warning", fix="safe")
def pip_cache(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `pip install` without `--no-cache-dir` (unless `PIP_NO_CACHE_DIR` is set or
    the cache is a `RUN --mount=type=cache`).

    ## Why is this bad?
    pip keeps downloaded wheels in `~/.cache/pip`: dead weight in the image.

    ## Example
    ```dockerfile
    FROM python:3.12
    RUN pip install flask==3.0.3
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12
    RUN pip install --no-cache-dir flask==3.0.3
    ```

    ## Fix safety
    Safe: inserts `--no-cache-dir` after `install`.

    ## References
    - hadolint DL3042
    - https://pip.pypa.io/en/stable/topics/caching/
    """
    no_cache = inherited_any(ctx, "pip-no-cache-dir", _sets_pip_no_cache_dir)
    no_cache_stages = {st.index for st in ctx.df.stages if no_cache[st.index]}
    for run in ctx.runs:
        if run.stage is not None and run.stage.index in no_cache_stages:
            continue
        if has_cache_mount(run.instruction, "/root/.cache/pip") or has_cache_mount(run.instruction, "/root/.cache"):
            continue
        cmds = _pip_installs(run)
        bad = [k for k, c in enumerate(cmds)
               if not c.has_flag("no-cache-dir") and "PIP_NO_CACHE_DIR" not in " ".join(c.assignments)]
        if bad:
            fix = None
            if all(re.fullmatch(r"pip[0-9.]*", c.basename) for c in cmds):
                fix = _insert_fix(run, _PIP_INSTALL, " --no-cache-dir", bad, len(cmds), "add --no-cache-dir")
            yield at(run.at, "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`", fix)


def _npm_installs(run: RunInfo) -> list[Command]:
    out = []
    for c in run.named("npm"):
        pos = c.positionals(NPM_VALUE_FLAGS)
        if pos and pos[0] in ("install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isntall"):
            out.append(c)
    return out


@rule("DL3016", "npm-unpinned", "warning")
def npm_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `npm install <package>` without a version (`pkg@1.2.3`).  `npm install`
    without packages (installs `package.json`, with its lock file) is fine.

    ## Why is this bad?
    Unpinned packages make rebuilds unreproducible.

    ## Example
    ```dockerfile
    FROM node:22
    RUN npm install -g express
    ```

    ## Use instead
    ```dockerfile
    FROM node:22
    RUN npm install -g express@4.19.2
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3016
    """
    for run in ctx.runs:
        for c in _npm_installs(run):
            pkgs = list(c.positionals(NPM_VALUE_FLAGS))[1:]
            loose = []
            for p in pkgs:
                if p.startswith(("$", ".", "/", "git", "http:", "https:", "file:", "github:")) or p.endswith(".tgz"):
                    continue
                name_ver = p.removeprefix("@")
                if "@" not in name_ver or name_ver.endswith("@latest"):
                    loose.append(p)
            if loose:
                yield at(run.at, "Pin versions in npm. Instead of `npm install <package>` use "
                                 f"`npm install <package>@<version>` ({', '.join(loose[:5])})")
                break


@rule("DL3028", "gem-unpinned", "warning")
def gem_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `gem install <gem>` without a version (`gem:1.2` or `-v 1.2`).

    ## Why is this bad?
    Unpinned gems make rebuilds unreproducible.

    ## Example
    ```dockerfile
    FROM ruby:3.3
    RUN gem install bundler
    ```

    ## Use instead
    ```dockerfile
    FROM ruby:3.3
    RUN gem install bundler:2.5.11
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3028
    """
    for run in ctx.runs:
        for c in run.named("gem"):
            pos = c.positionals(frozenset({"v", "version", "i", "install-dir", "n", "bindir", "source", "s",
                                           "platform", "P", "trust-policy"}))
            if not pos or pos[0] not in ("install", "i"):
                continue
            if c.has_flag("v", "version"):
                continue
            loose = [p for p in pos[1:] if ":" not in p and not p.startswith("$") and not p.endswith(".gem")]
            if loose:
                yield at(run.at, "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`")
                break


@rule("DL3062", "go-install-unpinned", "warning")
def go_unpinned(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `go install pkg` without a version, or with `@latest`.

    ## Why is this bad?
    `go install` without a version builds whatever is current: unreproducible.

    ## Example
    ```dockerfile
    FROM golang:1.23
    RUN go install golang.org/x/tools/gopls@latest
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.23
    RUN go install golang.org/x/tools/gopls@v0.16.2
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3062
    """
    for run in ctx.runs:
        for c in run.named("go"):
            pos = c.positionals(frozenset({"C", "o", "tags", "ldflags", "gcflags", "p", "mod"}))
            if not pos or pos[0] != "install":
                continue
            pkgs = [p for p in pos[1:] if not p.startswith(("$", "."))]
            if any("@" not in p or p.endswith("@latest") for p in pkgs):
                yield at(run.at, "Pin versions in go install. Instead of `go install <package>` use `go install <package>@<version>`")
                break


@rule("DL3060", "yarn-cache-kept", "info")
def yarn_cache(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `yarn install` in the final stage without `yarn cache clean` in the same RUN.

    ## Why is this bad?
    yarn's cache stays in the layer.

    ## Example
    ```dockerfile
    FROM node:22
    RUN yarn install --frozen-lockfile
    ```

    ## Use instead
    ```dockerfile
    FROM node:22
    RUN yarn install --frozen-lockfile && yarn cache clean
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3060
    """
    final = ctx.analysis.final_stage
    for run in ctx.runs:
        if run.stage is not final:
            continue
        yarns = run.named("yarn")
        installs = [c for c in yarns if c.positionals()[:1] in ((), ("install",))
                    and not any(a in ("--version", "-v", "--help", "-h") for a in c.args)]
        if not installs or has_cache_mount(run.instruction, "/usr/local/share/.cache/yarn"):
            continue
        if any(c.positionals()[:2] == ("cache", "clean") for c in yarns):
            continue
        yield at(run.at, "`yarn cache clean` missing after `yarn install` was run.")
