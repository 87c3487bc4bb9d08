"""LABEL: key syntax and the optional label schema (`label-schema`, `strict-labels`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Hit
from dockline.dockerfile.model import Instruction
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import at, stage_instructions

_SCHEMA = {"label_schema": {"org.opencontainers.image.source": "url", "org.opencontainers.image.created": "rfc3339",
                            "org.opencontainers.image.licenses": "spdx", "org.opencontainers.image.revision": "hash",
                            "org.opencontainers.image.version": "semver", "org.opencontainers.image.authors": "email"},
           "strict_labels": True}
LABEL_RULE_OPTIONS = {"label_schema": {}, "strict_labels": False}


def _labels(ctx: Context) -> Iterator[tuple[Instruction, str, str]]:
    for ins in ctx.df.instructions:
        if ins.keyword == "LABEL":
            for k, v in ins.key_values:
                yield ins, k, v or ""


def _schema(ctx: Context) -> dict[str, str]:
    return {str(k): str(v) for k, v in (ctx.options.get("label_schema") or {}).items()}


_KEY = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")


@rule("DL3048", "invalid-label-key", "style")
def invalid_label_key(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags label keys that break Docker's key format: lower-case letters, digits,
    `.` and `-`, starting and ending with a letter or digit, no `..`/`--`, and not in
    the reserved `com.docker.*`, `io.docker.*`, `org.dockerproject.*` namespaces.

    ## Why is this bad?
    Tools that read labels (registries, scanners, orchestrators) expect the format;
    reserved namespaces belong to Docker.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL Maintainer_Name="ops"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.authors="ops@example.com"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3048
    - https://docs.docker.com/engine/manage-resources/labels/#key-format-recommendations
    """
    for ins, k, _ in _labels(ctx):
        if "$" in k:
            continue
        if not _KEY.match(k) or ".." in k or "--" in k or k.startswith(("com.docker.", "io.docker.", "org.dockerproject.")):
            yield at(ins, f"Invalid label key ({k}).")


@rule("DL3049", "missing-label", "info", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def missing_label(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    With a `label-schema` configured, flags a final stage that lacks one of its
    labels.

    ## Why is this bad?
    Labels are how an image says where it came from (source, revision, version);
    a schema makes them mandatory for your organisation.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.version="1.0.0"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.source="https://example.com/app" \\
          org.opencontainers.image.created="2024-05-01T10:00:00Z" \\
          org.opencontainers.image.licenses="MIT" \\
          org.opencontainers.image.revision="0123456789abcdef0123456789abcdef01234567" \\
          org.opencontainers.image.version="1.0.0" \\
          org.opencontainers.image.authors="ops@example.com"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3049
    """
    schema = _schema(ctx)
    st = ctx.analysis.final_stage
    if not schema or st is None:
        return
    present = {k for i in stage_instructions(ctx.df, st) if i.keyword == "LABEL" for k, _ in i.key_values}
    for name in schema:
        if name not in present:
            yield at(st.from_instruction, f"Label `{name}` is missing.")


@rule("DL3050", "superfluous-label", "info", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def superfluous_label(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    With `strict-labels: true` and a `label-schema`, flags labels not in the schema.

    ## Why is this bad?
    A strict schema keeps label names consistent across images.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL owner="ops"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.authors="ops@example.com"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3050
    """
    schema = _schema(ctx)
    if not schema or not ctx.options.get("strict_labels"):
        return
    for ins, k, _ in _labels(ctx):
        if k not in schema:
            yield at(ins, f"Superfluous label(s) present ({k}).")
            break


def _typed(ctx: Context, kind: str, check, message: str) -> Iterator[Hit]:  # type: ignore[no-untyped-def]
    schema = _schema(ctx)
    for ins, k, v in _labels(ctx):
        if schema.get(k) == kind and v and "$" not in v and not check(v):
            yield at(ins, message.format(k))


@rule("DL3051", "empty-label", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def empty_label(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label with an empty value.

    ## Why is this bad?
    An empty label satisfies the schema on paper only.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.version=""
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.version="1.0.0"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3051
    """
    schema = _schema(ctx)
    for ins, k, v in _labels(ctx):
        if k in schema and not v.strip():
            yield at(ins, f"label `{k}` is empty.")


@rule("DL3052", "label-not-url", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def label_url(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label of type `url` whose value is not a URL.

    ## Why is this bad?
    Tools follow the link; a broken one is worse than none.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.source="example.com app"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.source="https://example.com/app"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3052
    """
    yield from _typed(ctx, "url", lambda v: re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/]+\S*$", v),
                      "Label `{}` is not a valid URL.")


def _rfc3339(v: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", v):
        return False
    try:
        datetime.fromisoformat(v.upper())
    except ValueError:
        return False
    return True


@rule("DL3053", "label-not-rfc3339", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def label_time(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label of type `rfc3339` whose value is not an RFC 3339 time.

    ## Why is this bad?
    Build times are compared by tools; a free-form date cannot be.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.created="yesterday"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.created="2024-05-01T10:00:00Z"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3053
    """
    yield from _typed(ctx, "rfc3339", _rfc3339, "Label `{}` is not a valid time format - must conform to RFC3339.")


_SPDX = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")


@rule("DL3054", "label-not-spdx", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def label_spdx(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label of type `spdx` whose value is not an SPDX license
    expression.

    ## Why is this bad?
    License scanners read SPDX identifiers, not prose.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.licenses="MIT License (see file)"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.licenses="MIT"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3054
    - https://spdx.org/licenses/
    """
    yield from _typed(ctx, "spdx", lambda v: _SPDX.match(v.strip("()")), "Label `{}` is not a valid SPDX identifier.")


@rule("DL3055", "label-not-git-hash", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def label_hash(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label of type `hash` whose value is not a git commit hash.

    ## Why is this bad?
    The revision label ties the image to a commit; a branch name does not.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.revision="main"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.revision="0123456789abcdef0123456789abcdef01234567"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3055
    """
    yield from _typed(ctx, "hash", lambda v: re.fullmatch(r"[0-9a-f]{7,40}|[0-9a-f]{64}", v), "Label `{}` is not a valid git hash.")


_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


@rule("DL3056", "label-not-semver", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def label_semver(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label of type `semver` whose value is not a semantic version.

    ## Why is this bad?
    Deploy tooling orders versions; it cannot order `latest-ish`.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.version="one"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.version="1.0.0"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3056
    - https://semver.org/
    """
    yield from _typed(ctx, "semver", _SEMVER.match, "Label `{}` does not conform to semantic versioning.")


@rule("DL3058", "label-not-email", "warning", options=LABEL_RULE_OPTIONS, doc_options=_SCHEMA)
def label_email(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a schema label of type `email` whose value is not an e-mail address.

    ## Why is this bad?
    Someone must be reachable about the image.

    ## Example
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.authors="the ops team"
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL org.opencontainers.image.authors="ops@example.com"
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3058
    """
    yield from _typed(ctx, "email", lambda v: re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+|.*<[^@\s<>]+@[^@\s<>]+>", v),
                      "Label `{}` is not a valid email format - must conform to RFC5322.")
