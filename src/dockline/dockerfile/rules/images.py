"""FROM and stages: base image tags, registries, platforms, stage names, ARGs in FROM."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import Hit
from dockline.dockerfile.registry import rule
from dockline.dockerfile.rules._helpers import at, base_ref, image_ref_parts, variables
from dockline.dockerfile.semantic import PLATFORM_ARGS, PROXY_ARGS


def _is_stage_ref(ctx: Context, st_index: int, ref: str) -> bool:
    other = ctx.df.stage_named(ref)
    return other is not None and other.index < st_index


@rule("DL3006", "untagged-image", "warning")
def untagged_image(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a FROM whose image has no tag or digest.  An image named by an ARG is
    checked with the ARG's default (an ARG without default is DKL007's business).

    ## Why is this bad?
    Without a tag the build uses `latest`, which moves: two builds of the same
    Dockerfile get different bases.

    ## Example
    ```dockerfile
    FROM debian
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12.7
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3006 (hadolint skips every `$VAR` image, hadolint#339)
    """
    for st in ctx.df.stages:
        ref = base_ref(ctx.df, st)
        if ref is None or ref.lower() == "scratch" or _is_stage_ref(ctx, st.index, ref) or "$" in ref:
            continue
        _, tag, digest = image_ref_parts(ref)
        if tag is None and digest is None:
            yield at(st.from_instruction, "Always tag the version of an image explicitly")


@rule("DL3007", "latest-tag", "warning")
def latest_tag(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a FROM image tagged `latest`.

    ## Why is this bad?
    `latest` is whatever was pushed last; rebuilds are not reproducible and a major
    upgrade can arrive unannounced.

    ## Example
    ```dockerfile
    FROM debian:latest
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12.7
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3007
    """
    for st in ctx.df.stages:
        ref = base_ref(ctx.df, st)
        if ref is None:
            continue
        _, tag, digest = image_ref_parts(ref)
        if tag == "latest" and digest is None:
            yield at(st.from_instruction, "Using latest is prone to errors if the image will ever update. "
                                          "Pin the version explicitly to a release tag")


@rule("DL3026", "untrusted-registry", "error", options={"trusted_registries": []},
      doc_options={"trusted_registries": ["registry.example.com", "docker.io"]})
def untrusted_registry(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a FROM image from a registry not listed in `trustedRegistries` (config
    key; globs such as `*.example.com` allowed).  Does nothing without the option.

    ## Why is this bad?
    The talk distinguishes trusted from public registries: base images should come
    from a registry your organisation controls (scanned, signed).

    ## Example
    ```dockerfile
    FROM quay.io/evil/image:1.0
    ```

    ## Use instead
    ```dockerfile
    FROM registry.example.com/base/debian:12
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3026
    - Talk "Docker Image Development", slide *Registry*
    """
    trusted = [str(t) for t in ctx.options.get("trusted_registries") or []]
    if not trusted:
        return
    for st in ctx.df.stages:
        ref = base_ref(ctx.df, st)
        if ref is None or ref.lower() == "scratch" or _is_stage_ref(ctx, st.index, ref):
            continue
        first = ref.split("/", 1)[0]
        registry = first if "/" in ref and ("." in first or ":" in first or first == "localhost") else "docker.io"
        if registry == "docker.io" and ("hub.docker.com" in trusted or "index.docker.io" in trusted):
            continue
        if not any(fnmatch.fnmatch(registry, t) for t in trusted):
            yield at(st.from_instruction, f"Use only an allowed registry in the FROM image ({registry})")


@rule("DL3029", "from-platform-constant", "warning")
def from_platform(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `FROM --platform=` with a constant value (`linux/amd64`).  Platform
    build arguments such as `$BUILDPLATFORM` are the intended use and not flagged.

    ## Why is this bad?
    A constant platform pins the image to one architecture: multi-platform builds
    silently produce the wrong binaries.

    ## Example
    ```dockerfile
    FROM --platform=linux/amd64 debian:12
    ```

    ## Use instead
    ```dockerfile
    FROM --platform=$BUILDPLATFORM debian:12
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3029 (flags every `--platform`); BuildKit check FromPlatformFlagConstDisallowed
    """
    for st in ctx.df.stages:
        f = st.from_instruction.flag("platform")
        if f is not None and f.value and "$" not in f.value:
            yield at(st.from_instruction, "Do not use --platform flag with FROM")


@rule("DL3065", "redundant-target-platform", "warning")
def redundant_platform(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `FROM --platform=$TARGETPLATFORM`.

    ## Why is this bad?
    The target platform is the default already; the flag only adds noise.

    ## Example
    ```dockerfile
    FROM --platform=$TARGETPLATFORM debian:12
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3065; BuildKit check RedundantTargetPlatform
    """
    for st in ctx.df.stages:
        f = st.from_instruction.flag("platform")
        if f is not None and (f.value or "").strip() in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
            yield at(st.from_instruction, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior")


@rule("DL3024", "duplicate-stage-name", "error")
def duplicate_stage(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage name (`FROM ... AS name`) used twice.

    ## Why is this bad?
    BuildKit refuses the file; the legacy builder silently uses the later stage.

    ## Example
    ```dockerfile
    FROM debian:12 AS build
    FROM debian:12 AS build
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS build
    FROM debian:12 AS test
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3024; BuildKit check DuplicateStageName
    """
    seen: set[str] = set()
    for st in ctx.df.stages:
        if st.name:
            if st.name in seen:
                yield at(st.from_instruction, "FROM aliases (stage names) must be unique")
            seen.add(st.name)


@rule("DL3063", "reserved-stage-name", "warning")
def reserved_stage(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage named `scratch` or `context`.

    ## Why is this bad?
    Both names mean something else to BuildKit (the empty image, a named build
    context); a stage with that name is ambiguous.

    ## Example
    ```dockerfile
    FROM debian:12 AS scratch
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS base
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3063; BuildKit check ReservedStageName
    """
    for st in ctx.df.stages:
        if st.name in ("scratch", "context"):
            yield at(st.from_instruction, f"Stage name `{st.name}` should not be a reserved word")


@rule("DL3061", "instruction-before-from", "error")
def order(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a Dockerfile whose first instruction is not FROM or ARG.

    ## Why is this bad?
    Only ARG (and parser directives and comments) may come before the first FROM;
    BuildKit refuses anything else.

    ## Example
    ```dockerfile
    RUN echo hello
    FROM debian:12
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN echo hello
    ```

    ## Fix safety
    No fix.

    ## References
    - hadolint DL3061
    """
    for ins in ctx.df.instructions:
        if ins.keyword == "FROM":
            return
        if ins.keyword != "ARG":
            yield at(ins, "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.")
            return


@rule("DKL007", "undefined-arg-in-from", "error")
def arg_in_from(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a FROM that uses an ARG which is not declared before the first FROM, or
    is declared without a default value.

    ## Why is this bad?
    The talk's trick -- `ARG BASE_IMAGE=...` before FROM, overridden with
    `--build-arg` -- needs a default: without one, a plain `docker build` fails with
    "base name should not be blank", and an ARG declared inside a stage is not
    visible to FROM at all.

    ## Example
    ```dockerfile
    ARG BASE_IMAGE
    FROM ${BASE_IMAGE}
    ```

    ## Use instead
    ```dockerfile
    ARG BASE_IMAGE=nginx:1.27
    FROM ${BASE_IMAGE}
    ```

    ## Fix safety
    No fix: the default is a decision.

    ## References
    - Talk "Docker Image Development", slide *ARG* ("can be used before FROM to change base image")
    - BuildKit checks UndefinedArgInFrom, InvalidDefaultArgInFrom
    """
    declared: dict[str, str | None] = {}
    for ins in ctx.df.global_args:
        for k, v in ins.key_values:
            declared[k] = v
    for st in ctx.df.stages:
        f = st.from_instruction
        texts = [st.base] + ([st.platform] if st.platform else [])
        # ${X:-word}, ${X-word}, ${X:+word}, ${X+word}: an unset X is handled on purpose
        guarded = {m.group(1) for t in texts for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?[-+]", t)}
        for name in dict.fromkeys(n for t in texts for n in variables(t)):
            if name in PLATFORM_ARGS or name in PROXY_ARGS:
                continue
            if name not in declared:
                yield at(f, f"FROM uses ${name}, which is not declared by an ARG before the first FROM")
            elif declared[name] is None and name not in guarded:
                yield at(f, f"FROM uses ARG {name}, which has no default: a build without "
                            f"--build-arg {name}=... fails; give it a default (ARG {name}=<image>)")
        if st.base_expanded is not None and not st.base_expanded.strip() and st.base.strip():
            yield at(f, "FROM expands to an empty image name with the ARG defaults")


@rule("DKL014", "stage-name-casing", "warning")
def stage_name_casing(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags a stage name with upper-case letters.

    ## Why is this bad?
    Stage names are case-insensitive, so `Build` and `build` are the same stage;
    writing them in lower case avoids confusion with image names.

    ## Example
    ```dockerfile
    FROM debian:12 AS Build
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS build
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check StageNameCasing
    """
    for st in ctx.df.stages:
        args = st.from_instruction.text.split()
        for k, w in enumerate(args[:-1]):
            if w.lower() == "as":
                name = args[k + 1]
                if name != name.lower():
                    yield at(st.from_instruction, f"Stage name '{name}' should be lowercase")


@rule("DKL015", "from-as-casing", "warning")
def from_as_casing(ctx: Context) -> Iterator[Hit]:
    """
    ## What it does
    Flags `FROM ... as name` whose `as` does not match the case of `FROM`.

    ## Why is this bad?
    Mixed casing reads as a typo; BuildKit warns about it.

    ## Example
    ```dockerfile
    FROM debian:12 as build
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS build
    ```

    ## Fix safety
    No fix.

    ## References
    - BuildKit check FromAsCasing
    """
    for st in ctx.df.stages:
        f = st.from_instruction
        kw = f.original.lstrip().split(None, 1)[0] if f.original.strip() else "FROM"
        args = f.text.split()
        for w in args[1:-1]:
            if w.lower() == "as" and ((kw.isupper() and not w.isupper()) or (kw.islower() and not w.islower())):
                yield at(f, f"'{w}' and '{kw}' keywords' casing do not match")
