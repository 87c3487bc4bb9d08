"""How the image runs: ENTRYPOINT/CMD, HEALTHCHECK, USER, WORKDIR, EXPOSE, STOPSIGNAL."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Fix, FixSafety, Hit
from dockline.dockerfile.model import Instruction, Stage
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import (
    at,
    base_ref,
    exec_form,
    image_ref_parts,
    inherited_any,
    is_windows_stage,
    lineage,
    replace_args,
    stage_instructions,
)
from dockline.dockerfile.shell import parse_script


def _last(instrs: list[Instruction], keyword: str) -> Instruction | None:
    found = [i for i in instrs if i.keyword == keyword]
    return found[-1] if found else None


# ---- WORKDIR -----------------------------------------------------------------------


def _absolute(path: str) -> bool:
    p = path.strip().strip("\"'")
    return p.startswith(("/", "$", "\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", p))


@rule("DL3000", "relative-workdir", "error", fix="safe")
def relative_workdir(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a relative WORKDIR.

    ## Why is this bad?
    A relative WORKDIR is resolved against the previous one, which may come from
    the base image and change with it.  An absolute path says where files go.

    ## Example
    ```dockerfile
    FROM debian:12
    WORKDIR app
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    WORKDIR /app
    ```

    ## Fix safety
    Safe when the directory is known: the previous WORKDIR of the stage is absolute
    (or there is none in the stage and its parents: `/`), so the absolute path is
    exactly where the relative one led.

    ## References
    - hadolint DL3000; BuildKit check WorkdirRelativePath
    """
    # the WORKDIR a stage's lineage leaves (folded from None), by stage: one pass, parents first
    folded: list[str | None] = []
    for st in ctx.df.stages:
        end = folded[st.parent] if st.parent is not None and st.parent < st.index else None
        for ins in st.instructions:
            if ins.keyword == "WORKDIR" and ins.args:
                w = ins.text.strip()
                end = w if _absolute(w) and "$" not in w else (
                    None if end is None or "$" in w else end.rstrip("/") + "/" + w)
        folded.append(end)
    has_workdir = inherited_any(ctx, "workdir", _sets_workdir)
    for st in ctx.df.stages:
        current: str | None = "/" if st.parent is None else None
        if st.parent is not None:
            current = folded[st.parent]
            if current is None and not has_workdir[st.parent]:
                current = "/"
        windows = is_windows_stage(ctx, st)
        for ins in st.instructions:
            if ins.keyword != "WORKDIR" or not ins.args:
                continue
            w = ins.text.strip()
            if _absolute(w):
                current = w if "$" not in w else None
                continue
            fix = None
            if current is not None and not windows and not ins.json_form and " " not in w:
                new = current.rstrip("/") + "/" + w
                new = re.sub(r"/\./", "/", new)
                fix = replace_args(ins, new, FixSafety.SAFE, f"make WORKDIR absolute ({new})")
                current = new
            else:
                current = None
            yield at(ins, "Use absolute WORKDIR", fix)


# ---- USER --------------------------------------------------------------------------


def _is_root(user: str) -> bool:
    u = user.strip().split(":", 1)[0]
    return u in ("root", "0")


@rule("DL3002", "root-user", "warning")
def last_user_root(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a final stage whose last `USER` is root.

    ## Why is this bad?
    A process running as root in a container is root on the host if it escapes;
    switch back to an unprivileged user after the steps that need root.

    ## Example
    ```dockerfile
    FROM debian:12
    USER app
    USER root
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    USER root
    USER app
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3002
    """
    st = ctx.analysis.final_stage
    if st is None:
        return
    last = _last(list(st.instructions), "USER")
    if last is not None and _is_root(last.text):
        yield at(last, "Last USER should not be root")


_STEP_DOWN = ("gosu", "su-exec", "setpriv", "chroot", "runuser", "s6-setuidgid", "tini")


@rule("DKL004", "runs-as-root", "warning")
def runs_as_root(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a final stage that never sets `USER` (in itself or the stages it is built
    FROM), so the container runs as root -- unless the image installs a step-down
    tool (`gosu`, `su-exec`, `setpriv`) that an entrypoint uses to drop privileges.

    ## Why is this bad?
    A process running as root in a container is root on the host if it escapes.
    hadolint (DL3002) only flags an explicit `USER root`, not the much more common
    missing USER.

    ## Example
    ```dockerfile
    FROM python:3.12
    COPY app.py /app/
    CMD ["python", "/app/app.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12
    RUN useradd --system app
    COPY app.py /app/
    USER app
    CMD ["python", "/app/app.py"]
    ```

    ## Fix safety
    No fix.

    ## References
    - Talk "Docker Image Development", slide *Dockerfile* (USER)
    - https://docs.docker.com/build/building/best-practices/#user
    """
    st = ctx.analysis.final_stage
    if st is None or is_windows_stage(ctx, st):
        return
    ref = base_ref(ctx.df, st)
    if ref is not None and ref.lower() == "scratch" and not any(i.keyword in ("CMD", "ENTRYPOINT") for i in st.instructions):
        return
    instrs = stage_instructions(ctx.df, st)
    if any(i.keyword == "USER" for i in instrs):
        return
    chain = {id(s) for s in lineage(ctx.df, st)}
    for r in ctx.runs:
        if id(r.stage) in chain and any(_STEP_DOWN_RE.search(w) for c in r.commands for w in c.argv):
            return
    if any(_STEP_DOWN_RE.search(i.original) for i in instrs if i.keyword in ("COPY", "ENTRYPOINT", "CMD")):
        return
    yield at(st.from_instruction, "The final stage sets no USER: the container runs as root")


_STEP_DOWN_RE = re.compile(r"\b(gosu|su-exec|setpriv|runuser|s6-setuidgid|chpst)\b")


@rule("DL3066", "non-numeric-user", "info")
def non_numeric_user(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `USER name` with a non-numeric user.

    ## Why is this bad?
    Kubernetes' `runAsNonRoot` and other host-side policies can only verify a
    numeric UID; a name must be resolved inside the image.

    ## Example
    ```dockerfile
    FROM debian:12
    USER app
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    USER 10001:10001
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3066
    """
    for ins in ctx.df.instructions:
        if ins.keyword == "USER" and ins.args:
            user = ins.text.strip().split(":", 1)[0]
            if user and not user.isdigit() and "$" not in user:
                yield at(ins, "Non-numeric user-id may not be resolvable by host system")


# ---- ENTRYPOINT / CMD ----------------------------------------------------------------




def _sets_workdir(st: Stage) -> bool:
    return any(i.keyword == "WORKDIR" for i in st.instructions)


def _sets_entrypoint(st: Stage) -> bool:
    return any(i.keyword == "ENTRYPOINT" for i in st.instructions)


def _to_exec_fix(ctx: Context, ins: Instruction, st: Stage) -> Fix | None:
    text = ins.text.strip()
    if not text or is_windows_stage(ctx, st):
        return None
    script = parse_script(text)
    if len(script.commands) != 1 or script.errors:
        return None
    c = script.commands[0]
    if c.assignments or c.redirects or c.depth or c.pipe_length != 1 or c.separator or c.negated:
        return None
    for w in c.words:
        if "$" in w.raw or "`" in w.raw or "#" in w.raw:
            return None
        if w.raw == w.value and any(ch in w.value for ch in "*?[]{}~"):
            return None  # an unquoted glob or brace/tilde expansion
    if c.words[0].raw != c.words[0].value:
        return None
    if ins.keyword == "CMD" and inherited_any(ctx, "entrypoint", _sets_entrypoint)[st.index]:
        return None  # shell-form CMD becomes ["/bin/sh","-c",...] arguments of the ENTRYPOINT
    return replace_args(ins, exec_form(list(c.argv)), FixSafety.SAFE, "use the exec (JSON) form")


@rule("DL3025", "shell-form-entrypoint", "warning", fix="safe")
def shell_form(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags CMD and ENTRYPOINT in shell form (`CMD nginx -g 'daemon off;'`).

    ## Why is this bad?
    The shell form runs `/bin/sh -c "..."`: the shell is PID 1, it does not forward
    SIGTERM, so `docker stop` and swarm updates wait 10 s and then SIGKILL the
    service; a shell-form ENTRYPOINT also ignores CMD and `docker run` arguments.

    ## Example
    ```dockerfile
    FROM nginx:1.27
    CMD nginx -g 'daemon off;'
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## Fix safety
    Safe for a single simple command (no variables, operators, globs or
    redirections; quotes are fine) written on one line; a shell-form CMD under an
    ENTRYPOINT is not rewritten (its arguments would change).  Windows stages are
    not rewritten.

    ## References
    - hadolint DL3025; BuildKit check JSONArgsRecommended
    - Talk "Docker Image Development", slide *ENTRYPOINT / CMD*
    """
    for st in ctx.df.stages:
        for ins in st.instructions:
            if ins.keyword in ("CMD", "ENTRYPOINT") and not ins.json_form and ins.text.strip():
                yield at(ins, "Use arguments JSON notation for CMD and ENTRYPOINT arguments", _to_exec_fix(ctx, ins, st))


_INTERPRETERS = re.compile(r"^(python[0-9.]*|node|nodejs|ruby|perl|php[0-9.]*|java|bash|sh|deno|bun|dotnet|Rscript)$")


@rule("DKL003", "required-argument-in-cmd", "info")
def required_arg_in_cmd(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags an exec-form ENTRYPOINT that only names an interpreter (`python`,
    `node`, `java -jar`, `sh`...) while CMD supplies the program it runs.

    ## Why is this bad?
    The talk's rule: ENTRYPOINT says how the container starts, with its *required*
    arguments; CMD holds *optional* defaults.  With the program in CMD, any
    `docker run image --flag` replaces the program instead of passing a flag.

    ## Example
    ```dockerfile
    FROM python:3.12
    ENTRYPOINT ["python"]
    CMD ["/app/server.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12
    ENTRYPOINT ["python", "/app/server.py"]
    CMD ["--port", "8000"]
    ```

    ## Fix safety
    No fix.

    ## References
    - Talk "Docker Image Development", slide *ENTRYPOINT / CMD*
    - https://docs.docker.com/reference/dockerfile/#understand-how-cmd-and-entrypoint-interact
    """
    st = ctx.analysis.final_stage
    if st is None:
        return
    instrs = list(st.instructions)
    ep = _last(instrs, "ENTRYPOINT")
    cmd = _last(instrs, "CMD")
    if ep is None or cmd is None or not ep.json_form or not cmd.json_form or not ep.args or not cmd.args:
        return
    exe = ep.args[0].rsplit("/", 1)[-1]
    rest = list(ep.args[1:])
    if not _INTERPRETERS.match(exe):
        return
    if rest and not all(a.startswith("-") for a in rest):
        return
    if rest and rest[-1] in ("-c",):
        return
    if cmd.args[0].startswith("-") and "-jar" not in rest and "-m" not in rest:
        return
    yield at(cmd, f"CMD supplies the program ({cmd.args[0]}) that ENTRYPOINT [{ep.args[0]!r}...] needs: "
                  "put required arguments in ENTRYPOINT and only optional defaults in CMD")


@rule("DKL019", "exec-form-single-string", "error")
def exec_single_string(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags an exec-form CMD/ENTRYPOINT/RUN whose first element contains a space
    (`CMD ["nginx -g daemon off;"]`).

    ## Why is this bad?
    The exec form does not split words: Docker looks for an executable literally
    called `nginx -g daemon off;` and the container fails to start.

    ## Example
    ```dockerfile
    FROM nginx:1.27
    CMD ["nginx -g 'daemon off;'"]
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## Fix safety
    No fix.

    ## References
    - https://docs.docker.com/reference/dockerfile/#exec-form
    """
    for ins in ctx.df.instructions:
        if ins.keyword in ("CMD", "ENTRYPOINT", "RUN") and ins.json_form and ins.args:
            first = ins.args[0]
            if " " in first.strip() and not re.match(r"^[A-Za-z]:\\", first):
                yield at(ins, f"exec form runs an executable literally named {first!r}: split the words into "
                              "separate JSON strings")


@rule("DKL020", "invalid-json-form", "error")
def json_single_quotes(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags CMD/ENTRYPOINT/RUN/SHELL that start like the exec (JSON) form but are not
    valid JSON: single quotes (`CMD ['nginx', '-g', 'daemon off;']`), a missing
    bracket or comma.

    ## Why is this bad?
    Docker silently treats the line as shell form and runs
    `/bin/sh -c "['nginx', ...]"`, which fails when the container starts.

    ## Example
    ```dockerfile
    FROM nginx:1.27
    CMD ['nginx', '-g', 'daemon off;']
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## Fix safety
    No fix.

    ## References
    - https://docs.docker.com/reference/dockerfile/#shell-and-exec-form
    """
    for ins in ctx.df.instructions:
        if ins.keyword in ("CMD", "ENTRYPOINT", "RUN", "SHELL") and not ins.json_form:
            t = ins.text.strip()
            if re.match(r"""^\[\s*(["'“‘]|\])""", t):
                yield at(ins, "this looks like the exec (JSON) form but is not valid JSON (use double quotes): "
                              "Docker runs it as a shell command")


@rule("DL4003", "multiple-cmd", "warning")
def multiple_cmd(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage with more than one CMD.

    ## Why is this bad?
    Only the last CMD takes effect; the others mislead readers.

    ## Example
    ```dockerfile
    FROM debian:12
    CMD ["a"]
    CMD ["b"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    CMD ["b"]
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL4003; BuildKit check MultipleInstructionsDisallowed
    """
    yield from _multiple(ctx, "CMD", "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect")


@rule("DL4004", "multiple-entrypoint", "error")
def multiple_entrypoint(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage with more than one ENTRYPOINT.

    ## Why is this bad?
    Only the last ENTRYPOINT takes effect; the others mislead readers.

    ## Example
    ```dockerfile
    FROM debian:12
    ENTRYPOINT ["a"]
    ENTRYPOINT ["b"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ENTRYPOINT ["b"]
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL4004; BuildKit check MultipleInstructionsDisallowed
    """
    yield from _multiple(ctx, "ENTRYPOINT", "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect")


@rule("DL3012", "multiple-healthcheck", "error")
def multiple_healthcheck(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage with more than one HEALTHCHECK.

    ## Why is this bad?
    Only the last HEALTHCHECK takes effect; the others mislead readers.

    ## Example
    ```dockerfile
    FROM debian:12
    HEALTHCHECK CMD ["/bin/true"]
    HEALTHCHECK CMD ["/bin/false"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    HEALTHCHECK CMD ["/bin/true"]
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3012; BuildKit check MultipleInstructionsDisallowed
    """
    yield from _multiple(ctx, "HEALTHCHECK", "Multiple `HEALTHCHECK` instructions")


def _multiple(ctx: Context, keyword: str, message: str) -> Iterator[Hit]:
    for st in ctx.df.stages:
        found = [i for i in st.instructions if i.keyword == keyword]
        for ins in found[1:]:
            yield at(ins, message)


# ---- HEALTHCHECK ---------------------------------------------------------------------

_SERVER_IMAGES = re.compile(
    r"(^|/)(nginx|httpd|apache|tomcat|caddy|traefik|haproxy|jetty|postgres|postgis|mysql|mariadb|redis|"
    r"valkey|mongo|rabbitmq|elasticsearch|opensearch|memcached|couchdb|cassandra|neo4j|influxdb|grafana|"
    r"prometheus|consul|vault|wordpress|ghost|drupal|joomla|nextcloud|keycloak|minio|registry|unit)"
    r"($|[:@])"
)


def _healthchecks(ctx: Context, st: Stage) -> list[Instruction]:
    return [i for i in stage_instructions(ctx.df, st) if i.keyword == "HEALTHCHECK"]


@rule("DKL001", "missing-healthcheck", "warning")
def missing_healthcheck(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags the final stage of a serving image -- one that EXPOSEs a port or is built
    on a known server image (nginx, httpd, postgres, redis...) -- without a
    HEALTHCHECK.  `HEALTHCHECK NONE` (an explicit choice) is accepted.

    ## Why is this bad?
    Without a HEALTHCHECK, Swarm counts a replica healthy as soon as its process
    runs: a rolling update (`order: start-first`) sends traffic to a server that is
    not ready yet and requests fail.  The talk's demo shows exactly that.

    ## Example
    ```dockerfile
    FROM debian:12
    EXPOSE 8080
    CMD ["/app/server"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    EXPOSE 8080
    HEALTHCHECK --interval=20s --timeout=5s --start-period=1m --retries=2 CMD ["/app/healthcheck.sh"]
    CMD ["/app/server"]
    ```

    ## Fix safety
    No fix: the check depends on the service.

    ## References
    - Talk "Docker Image Development", slide *HEALTHCHECK* ("necessary to avoid downtime during upgrades")
    - https://docs.docker.com/reference/dockerfile/#healthcheck
    """
    st = ctx.analysis.final_stage
    if st is None or _healthchecks(ctx, st):
        return
    instrs = stage_instructions(ctx.df, st)
    ref = base_ref(ctx.df, lineage_root(ctx, st)) or ""
    name = image_ref_parts(ref)[0].lower() if ref else ""
    serving = any(i.keyword == "EXPOSE" for i in instrs) or bool(name and _SERVER_IMAGES.search(name))
    if serving:
        yield at(st.from_instruction, "The final stage serves (EXPOSE or a server base image) but has no "
                                      "HEALTHCHECK: Swarm routes traffic to it before it is ready")


def lineage_root(ctx: Context, st: Stage) -> Stage:
    stages = list(lineage(ctx.df, st))
    return stages[-1]


_HC_OPTIONS = ("interval", "timeout", "start-period", "retries")


@rule("DKL002", "healthcheck-default-timing", "info")
def healthcheck_timing(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a HEALTHCHECK that does not set all of `--interval`, `--timeout`,
    `--start-period` and `--retries`.

    ## Why is this bad?
    The defaults (30 s interval, 30 s timeout, no start period, 3 retries) fit few
    services: a slow-starting server is marked unhealthy and restarted in a loop, a
    hung one is noticed only after minutes.  The talk sets all four.

    ## Example
    ```dockerfile
    FROM nginx:1.27
    HEALTHCHECK CMD ["curl", "-fs", "http://127.0.0.1/"]
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    HEALTHCHECK --interval=20s --timeout=5s --start-period=1m --retries=2 CMD ["curl", "-fs", "http://127.0.0.1/"]
    ```

    ## Fix safety
    No fix: the right timings depend on the service.

    ## References
    - Talk "Docker Image Development", slide *HEALTHCHECK*
    """
    for ins in ctx.df.instructions:
        if ins.keyword != "HEALTHCHECK":
            continue
        if ins.text.strip().upper().startswith("NONE") or not ins.text.strip():
            continue
        missing = [o for o in _HC_OPTIONS if ins.flag(o) is None]
        if missing:
            yield at(ins, "HEALTHCHECK relies on default " + ", ".join("--" + m for m in missing)
                          + ": set them for this service")


@rule("DL3057", "missing-healthcheck-any", "ignore")
def healthcheck_missing_any(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a Dockerfile without any HEALTHCHECK instruction.  Off by default (as in
    hadolint); DKL001 is the targeted version for serving images.

    ## Why is this bad?
    Without a health check the orchestrator cannot tell a running from a working
    container.

    ## Example
    ```dockerfile
    FROM debian:12
    CMD ["/app/server"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    HEALTHCHECK CMD ["/app/healthcheck"]
    CMD ["/app/server"]
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3057
    """
    if ctx.df.stages and not any(i.keyword == "HEALTHCHECK" for i in ctx.df.instructions):
        st = ctx.analysis.final_stage
        assert st is not None
        if not _healthchecks(ctx, st):
            yield at(ctx.df.stages[0].from_instruction, "`HEALTHCHECK` instruction missing.")


# ---- EXPOSE ----------------------------------------------------------------------------

_PORT = re.compile(r"^(?P<lo>\d+)(?:-(?P<hi>\d+))?(?:/(?P<proto>[A-Za-z]+))?$")


def _expose_tokens(ins: Instruction) -> list[str]:
    return [t for t in ins.text.split() if t]


@rule("DL3011", "invalid-port", "error")
def invalid_port(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags an EXPOSEd port outside 0-65535.

    ## Why is this bad?
    Such a port cannot exist; the build fails or the metadata lies.

    ## Example
    ```dockerfile
    FROM debian:12
    EXPOSE 80000
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    EXPOSE 8000
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3011
    """
    for ins in ctx.df.instructions:
        if ins.keyword != "EXPOSE":
            continue
        for t in _expose_tokens(ins):
            m = _PORT.match(t)
            if m and any(int(p) > 65535 for p in (m.group("lo"), m.group("hi")) if p):
                yield at(ins, "Valid UNIX ports range from 0 to 65535")
                break


@rule("DKL012", "expose-invalid-format", "error")
def expose_format(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags EXPOSE entries that are not `port[-port][/tcp|udp|sctp]`: host-port
    mappings (`8080:80`), IP addresses, unknown protocols or garbage.

    ## Why is this bad?
    EXPOSE documents container ports only; publishing is decided at run/deploy time.
    Docker accepts a mapping today with a deprecation warning and will reject it.

    ## Example
    ```dockerfile
    FROM debian:12
    EXPOSE 8080:80
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    EXPOSE 80/tcp
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check ExposeInvalidFormat
    - https://docs.docker.com/reference/dockerfile/#expose
    """
    for ins in ctx.df.instructions:
        if ins.keyword != "EXPOSE":
            continue
        for t in _expose_tokens(ins):
            if "$" in t:
                continue
            m = _PORT.match(t)
            if m is None:
                yield at(ins, f"EXPOSE {t!r} is not port[-port][/protocol]: do not map host ports or IPs in a Dockerfile")
                break
            if m.group("proto") and m.group("proto").lower() not in ("tcp", "udp", "sctp"):
                yield at(ins, f"EXPOSE {t!r}: unknown protocol (tcp, udp or sctp)")
                break
            if m.group("hi") and int(m.group("hi")) < int(m.group("lo")):
                yield at(ins, f"EXPOSE {t!r}: empty port range")
                break


@rule("DKL013", "expose-proto-casing", "warning")
def expose_proto_casing(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags an EXPOSE protocol in upper case (`80/TCP`).

    ## Why is this bad?
    Protocols are lower case everywhere else (compose files, `docker inspect`);
    BuildKit warns.

    ## Example
    ```dockerfile
    FROM debian:12
    EXPOSE 80/TCP
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    EXPOSE 80/tcp
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check ExposeProtoCasing
    """
    for ins in ctx.df.instructions:
        if ins.keyword == "EXPOSE":
            for t in _expose_tokens(ins):
                m = _PORT.match(t)
                if m and m.group("proto") and m.group("proto") != m.group("proto").lower():
                    yield at(ins, f"Defined protocol '{t}' in EXPOSE instruction should be lowercase")
                    break


# ---- STOPSIGNAL -------------------------------------------------------------------------

_SIGNALS = {
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS", "UNUSED",
}


@rule("DKL011", "invalid-stopsignal", "error")
def invalid_stopsignal(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a STOPSIGNAL that is not a signal (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`),
    and `SIGKILL`/`SIGSTOP`, which a process cannot handle.

    ## Why is this bad?
    An unknown signal makes `docker run` fail; SIGKILL/SIGSTOP rule out a graceful
    shutdown, which is the point of STOPSIGNAL (nginx: SIGQUIT finishes requests).

    ## Example
    ```dockerfile
    FROM nginx:1.27
    STOPSIGNAL SIGTERMINATE
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    STOPSIGNAL SIGQUIT
    ```

    ## Fix safety
    No fix.

    ## References
    - Talk "Docker Image Development", slide *Dockerfile* (STOPSIGNAL)
    - https://docs.docker.com/reference/dockerfile/#stopsignal
    """
    for ins in ctx.df.instructions:
        if ins.keyword != "STOPSIGNAL":
            continue
        sig = ins.text.strip()
        if not sig or "$" in sig:
            continue
        name = sig.upper()
        name = name.removeprefix("SIG")
        if sig.isdigit():
            ok = 1 <= int(sig) <= 64
            fatal = sig in ("9", "19")
        else:
            ok = name in _SIGNALS or bool(re.fullmatch(r"RTM(IN|AX)([+-]\d+)?", name))
            fatal = name in ("KILL", "STOP")
        if not ok:
            yield at(ins, f"STOPSIGNAL {sig!r} is not a valid signal")
        elif fatal:
            yield at(ins, f"STOPSIGNAL {sig}: the process cannot handle it, so it can never shut down gracefully")
