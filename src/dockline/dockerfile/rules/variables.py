"""ARG and ENV: scoping, self-references, secrets, legacy syntax."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Hit
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import at, shell_variables, variables
from dockline.dockerfile.semantic import (
    BUILDKIT_ARGS,
    EXPANDING_INSTRUCTIONS,
    PLATFORM_ARGS,
    PROXY_ARGS,
)

# DKL008 checks the instructions BuildKit expands, but not ARG (`ARG B=$A` with A a global
# ARG not re-declared was never reported; kept so) -- FROM is not a stage instruction.
_DKL008_EXPANDED = EXPANDING_INSTRUCTIONS - {"ARG", "FROM"}
# usable in a stage without being declared there
_PREDEFINED = frozenset(PROXY_ARGS) | BUILDKIT_ARGS | PLATFORM_ARGS


@rule("DL3044", "env-self-reference", "error")
def env_self_reference(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags an ENV that uses a variable defined earlier in the same ENV instruction.

    ## Why is this bad?
    Within one instruction every substitution uses the values from *before* it:
    `ENV A=1 B=$A` sets B to the old A (usually empty), not 1.

    ## Example
    ```dockerfile
    FROM debian:12
    ENV APP_HOME=/app APP_BIN=$APP_HOME/bin
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ENV APP_HOME=/app
    ENV APP_BIN=$APP_HOME/bin
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3044
    - https://docs.docker.com/reference/dockerfile/#environment-replacement
    """
    for st in ctx.df.stages:
        for ins in st.instructions:
            if ins.keyword != "ENV":
                continue
            defined_before = ctx.scope_of(ins).declared
            seen: list[str] = []
            for k, v in ins.key_values:
                refs = set(variables(v or ""))
                bad = [n for n in seen if n in refs and n not in defined_before]
                if bad:
                    yield at(ins, "Do not refer to an environment variable within the same `ENV` statement "
                                  f"where it is defined ({bad[0]}).")
                    break
                seen.append(k)


_SECRET_WORDS = {"password", "passwd", "pword", "secret", "token", "apikey", "credential", "credentials",
                 "passphrase"}
_SECRET_PAIRS = {("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key"), ("client", "key"),
                 ("auth", "key"), ("client", "secret")}
_NOT_SECRET_LAST = {"file", "path", "dir", "url", "uri", "host", "name", "user", "username", "length", "len",
                    "env", "var", "id", "type", "mode", "method", "policy", "file_env"}


def _name_words(name: str) -> list[str]:
    parts = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [p.lower() for p in re.split(r"[^A-Za-z0-9]+", parts) if p]


def looks_secret(name: str) -> bool:
    """Whether an ARG/ENV name looks like it holds a secret value (``*_FILE``,
    ``*_PATH``... which point to a secret are fine)."""
    ws = _name_words(name)
    if not ws or ws[-1] in _NOT_SECRET_LAST or "public" in ws:
        return False
    if any(w in _SECRET_WORDS for w in ws):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(ws))


@rule("DL3064", "secret-in-arg-or-env", "warning")
def secrets(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags ARG and ENV names that look like secrets (`DB_PASSWORD`, `GITHUB_TOKEN`,
    `AWS_SECRET_ACCESS_KEY`, `apiKey`).  Names that point to a secret
    (`POSTGRES_PASSWORD_FILE`, `*_PATH`, `*_URL`) are fine.

    ## Why is this bad?
    ARG and ENV values are stored in the image: `docker history` and
    `docker inspect` show them to anyone who can pull the image.  Use build secrets
    (`RUN --mount=type=secret`) at build time and swarm secrets (`*_FILE`) at run
    time, as the talk's entrypoint does.

    ## Example
    ```dockerfile
    FROM postgres:16
    ENV POSTGRES_PASSWORD=hunter2
    ```

    ## Use instead
    ```dockerfile
    FROM postgres:16
    ENV POSTGRES_PASSWORD_FILE=/run/secrets/db_password
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3064; BuildKit check SecretsUsedInArgOrEnv
    - Talk "Docker Image Development", slide *Configuration / Bootstrapping* (secrets)
    """
    for ins in ctx.df.instructions:
        if ins.keyword in ("ARG", "ENV"):
            for k, _ in ins.key_values:
                if looks_secret(k):
                    yield at(ins, f"Potentially sensitive data should not be used in the ARG or ENV commands ({k})")
                    break


@rule("DKL008", "arg-not-in-scope", "warning")
def arg_not_in_scope(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage that uses `$NAME` where NAME is an ARG declared before the first
    FROM but not re-declared (`ARG NAME`) in the stage or the stages it is built
    FROM, and not set by ENV there.

    ## Why is this bad?
    An ARG before FROM is only visible to FROM lines.  Inside the stage the variable
    is empty, so `RUN curl .../v${VERSION}/...` downloads the wrong thing -- and the
    build may even succeed.

    ## Example
    ```dockerfile
    ARG VERSION=1.2.3
    FROM debian:12
    RUN echo "building $VERSION"
    ```

    ## Use instead
    ```dockerfile
    ARG VERSION=1.2.3
    FROM debian:12
    ARG VERSION
    RUN echo "building $VERSION"
    ```

    ## Fix safety
    No fix.

    ## References
    - https://docs.docker.com/reference/dockerfile/#understand-how-arg-and-from-interact
    - BuildKit check UndefinedVar
    """
    globals_ = {k for ins in ctx.df.global_args for k, _ in ins.key_values}
    if not globals_:
        return
    for st in ctx.df.stages:
        reported: set[str] = set()
        for ins in st.instructions:
            if ins.keyword == "ONBUILD":
                continue  # runs in a later build, with that build's ARGs
            if ins.keyword == "RUN" and not ins.json_form:
                used = shell_variables(ins.text) + [v for h in ins.heredocs if h.expand
                                                    for v in shell_variables(h.content)]
            elif ins.keyword in _DKL008_EXPANDED:
                used = variables(ins.text) + [v for f in ins.flags for v in variables(f.value or "")]
                if ins.keyword in ("ENV", "LABEL"):
                    used = [v for _, val in ins.key_values for v in variables(val or "")]
            else:
                continue
            declared = ctx.scope_of(ins).declared
            for name in used:
                if name in globals_ and name not in declared and name not in _PREDEFINED and name not in reported:
                    reported.add(name)
                    yield at(ins, f"${name} is a global ARG (before FROM) and is empty in this stage: "
                                  f"re-declare it with `ARG {name}` in the stage")


@rule("DKL018", "legacy-key-value", "warning")
def legacy_key_value(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags the legacy whitespace form `ENV key value` (and `LABEL key value`).

    ## Why is this bad?
    The legacy form takes the whole rest of the line as the value, so
    `ENV A 1 B 2` sets A to `1 B 2`; Docker documents it as deprecated.

    ## Example
    ```dockerfile
    FROM debian:12
    ENV APP_HOME /app
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ENV APP_HOME=/app
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check LegacyKeyValueFormat
    """
    for ins in ctx.df.instructions:
        if ins.keyword in ("ENV", "LABEL") and ins.legacy_key_value:
            yield at(ins, f'"{ins.keyword} key=value" should be used instead of legacy "{ins.keyword} key value" format')
