"""The ENTRYPOINT script (read from the build context by the engine): signals and exec."""

from __future__ import annotations

from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Hit
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import at
from dockline.dockerfile.shell import parse_script

_BAD = """#!/bin/sh
set -e
envsubst < /etc/app.conf.tpl > /etc/app.conf
/usr/local/bin/app "$@"
"""
_GOOD = """#!/bin/sh
set -e
envsubst < /etc/app.conf.tpl > /etc/app.conf
exec /usr/local/bin/app "$@"
"""


def script_problem(text: str) -> str | None:
    """What is wrong with an entrypoint script's signal handling, or ``None``."""
    first = text.split("\n", 1)[0]
    if first.startswith("#!") and not any(s in first for s in ("sh", "bash", "ash", "dash", "zsh")):
        return None  # not a shell script
    script = parse_script(text)
    cmds = [c for c in script.commands if not c.in_substitution]
    if not cmds:
        return None
    execs = [c for c in cmds if c.name == "exec" and len(c.words) > 1]
    traps = [c for c in cmds if c.name == "trap" and any(
        a.upper().lstrip("SIG") in ("TERM", "INT", "QUIT", "15", "2", "3") for a in c.args[1:])]
    set_e = any(c.name == "set" and any(a.startswith("-") and "e" in a for a in c.args) or
                (c.name == "set" and "errexit" in c.args) for c in cmds) or \
        any(s in first for s in (" -e", " -xe", " -ex", " -eu", " -ue"))
    waits = [c for c in cmds if c.name == "wait"]
    if traps and set_e and waits:
        return ("traps SIGTERM under `set -e`: the `wait` interrupted by the signal returns non-zero and the "
                "script exits before the child has stopped; use `exec` (or `wait` again inside the trap "
                "with `set +e`)")
    if execs or traps:
        return None
    return ("does not `exec` the main process: the shell stays PID 1 and does not forward SIGTERM, so "
            "`docker stop` and rolling updates kill the service after the timeout; end with `exec \"$@\"`")


@rule("DKL010", "entrypoint-no-exec", "warning",
      doc_files={"/docker-entrypoint.sh": _BAD, "/entrypoint.sh": _GOOD})
def entrypoint_no_exec(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Reads the final stage's ENTRYPOINT script from the build context (when a COPY
    puts it there) and flags a script that runs the main process without `exec`,
    or traps SIGTERM under `set -e` while `wait`ing for a child.

    ## Why is this bad?
    Docker sends SIGTERM to PID 1.  A shell running the server as a child does not
    pass it on: the server never hears it, Swarm waits out the stop grace period and
    kills it, and in-flight requests are lost.  The talk's entrypoint bootstraps and
    then must hand over (`exec`) or forward signals.

    ## Example
    ```dockerfile
    FROM debian:12
    COPY docker-entrypoint.sh /docker-entrypoint.sh
    ENTRYPOINT ["/docker-entrypoint.sh"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    COPY entrypoint.sh /entrypoint.sh
    ENTRYPOINT ["/entrypoint.sh"]
    ```

    ## Fix safety
    No fix.

    ## References
    - Talk "Docker Image Development", slide *Configuration / Bootstrapping* ("manage signal processing")
    - https://docs.docker.com/reference/dockerfile/#entrypoint
    """
    st = ctx.analysis.final_stage
    if st is None or not ctx.files:
        return
    eps = [i for i in st.instructions if i.keyword == "ENTRYPOINT" and i.args]
    if not eps:
        return
    ep = eps[-1]
    target = ep.args[0] if ep.json_form else ep.text.split()[0]
    text = ctx.files.get(target)
    if text is None:
        for path, body in ctx.files.items():
            if path.rsplit("/", 1)[-1] == target.rsplit("/", 1)[-1] and not target.startswith("/"):
                text = body
    if text is None:
        return
    problem = script_problem(text)
    if problem:
        yield at(ep, f"ENTRYPOINT script {target} {problem}")
