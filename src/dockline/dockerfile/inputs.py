"""What the linter reads: Dockerfiles (discovery, bounded reads, stdin) and, from the
build context, the files rules need (the ENTRYPOINT script, the ``.dockerignore``).

Rules do no I/O: :func:`context_files` reads here and hands the text to the rules
through their context (``ctx.files``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockline.dockerfile.findings import FileResult
from dockline.dockerfile.model import Dockerfile

log = logging.getLogger("dockline.lint")

MAX_FILE_BYTES = 4 << 20  # real Dockerfiles are < 200 kB; anything this big is not one
DOCKERFILE_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


def is_dockerfile_name(name: str) -> bool:
    """``Dockerfile``, ``*.Dockerfile`` or ``Dockerfile.*`` (not ``*.dockerignore``:
    BuildKit's per-Dockerfile ignore files are named ``Dockerfile.dockerignore``)."""
    if name.endswith(".dockerignore"):
        return False
    return name == "Dockerfile" or name.endswith(".Dockerfile") or name.startswith("Dockerfile.")


@dataclass(frozen=True)
class Input:
    """One thing to lint: ``path`` as given or found, ``-`` for stdin.  ``root`` is the
    tree it was found in (``None``: named on the command line, the user's choice):
    a file found in a tree is read only while it stays inside that tree."""

    path: str
    root: Path | None = None


def discover(paths: Iterable[str]) -> tuple[list[str], list[FileResult]]:
    """:func:`discover_inputs`, the paths only."""
    found, errors = discover_inputs(paths)
    return [i.path for i in found], errors


def discover_inputs(paths: Iterable[str]) -> tuple[list[Input], list[FileResult]]:
    """Expand directories (recursively, sorted) into Dockerfiles; keep files and ``-``.
    Returns the inputs and the errors for paths that give nothing to check.

    A directory search stays in the tree given: it never descends into a symlinked
    directory, and a symlinked Dockerfile whose target is outside the tree is skipped
    (with a warning naming the link, never its content); a symlink inside the tree is
    linted under its own name.  Files named explicitly are taken as they are."""
    inputs: list[Input] = []
    errors: list[FileResult] = []
    for raw in paths:
        if raw == "-":
            inputs.append(Input(raw))
            continue
        p = Path(raw)
        if p.is_dir():
            found = [Input(str(sub), p) for sub in _tree_dockerfiles(p)]
            if not found:
                errors.append(FileResult(raw, error="no Dockerfile here (looked for Dockerfile, *.Dockerfile, Dockerfile.*)"))
            inputs.extend(found)
        elif p.exists() or p.is_symlink():
            inputs.append(Input(raw))
        else:
            errors.append(FileResult(raw, error="no such file or directory"))
    return inputs, errors


def _tree_dockerfiles(top: Path) -> list[Path]:
    """The Dockerfiles under ``top``, sorted, without following symlinks out of it."""
    root = top.resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in DOCKERFILE_SKIP_DIRS]
        for name in filenames + dirnames:  # a symlink to a file can be listed as either
            if not is_dockerfile_name(name):
                continue
            sub = Path(dirpath) / name
            if sub.is_symlink() and not inside(sub, root):
                log.warning("%s: skipped: a symlink to a file outside %s", sub, top)
                continue
            if sub.is_file():
                found.append(sub)
    return sorted(found)


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, every symlink followed, is ``root`` or below it (``root`` resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(root)
    except ValueError:
        return False
    return True


def read_input(path: str, stdin: Any = None, root: Path | None = None) -> bytes | FileResult:
    """The bytes of ``path`` (``-``: stdin), or a FileResult with the error.  With
    ``root`` (a file found in that tree) the file is read only if it still resolves
    inside the tree, and the last step is opened without following a symlink."""
    try:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(MAX_FILE_BYTES + 1)
            if isinstance(data, str):
                data = data.encode("utf-8")
        else:
            p = Path(path)
            if root is not None:
                if not inside(p, root.resolve()):
                    return FileResult(path, error=f"not read: a symlink to a file outside {root}")
                p = Path(os.path.realpath(p))
            if not p.is_file():
                return FileResult(path, error="not a regular file")
            size = p.stat().st_size
            if size > MAX_FILE_BYTES:
                return FileResult(path, error=f"file too large for a Dockerfile ({size / 1e6:.1f} MB > {MAX_FILE_BYTES >> 20} MiB)")
            if root is None:
                with p.open("rb") as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)
            else:  # the resolved file, and no symlink swapped in since
                with os.fdopen(os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        return FileResult(path, error=f"cannot read: {e.strerror or e}")
    if len(data) > MAX_FILE_BYTES:
        return FileResult(path, error=f"input too large for a Dockerfile (> {MAX_FILE_BYTES >> 20} MiB)")
    return data


# ---------------------------------------------------------------------------------
# The build context


MAX_CONTEXT_FILE = 1 << 20


def entrypoint_sources(df: Dockerfile) -> dict[str, str]:
    """Map of in-image ENTRYPOINT script path → build-context source path, for the
    final stage, from ``COPY``/``ADD`` (without ``--from``) instructions."""
    st = df.stages[-1] if df.stages else None
    if st is None:
        return {}
    ep = None
    for ins in st.instructions:
        if ins.keyword == "ENTRYPOINT" and ins.args:
            ep = ins
    if ep is None:
        return {}
    target = ep.args[0] if ep.json_form else ep.text.split()[0] if ep.text.split() else ""
    if not target or target.startswith("$"):
        return {}
    workdir = "/"
    copies: dict[str, str] = {}
    for ins in st.instructions:
        if ins.keyword == "WORKDIR" and ins.args:
            w = ins.text.strip()
            workdir = w if w.startswith("/") else workdir.rstrip("/") + "/" + w
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from") or ins.heredocs:
            continue
        words = list(ins.args) if ins.json_form else ins.text.split()
        if len(words) < 2:
            continue
        *srcs, dest = words
        if not dest.startswith("/"):
            dest = workdir.rstrip("/") + "/" + dest
        for src in srcs:
            if "://" in src or any(ch in src for ch in "*?[$"):
                continue
            base = src.rstrip("/").rsplit("/", 1)[-1]
            full = dest + base if dest.endswith("/") or len(srcs) > 1 else dest
            copies[full] = src
            if dest.endswith("/"):
                copies[dest.rstrip("/")] = src  # COPY dir/ /dir/ (directory copy)
    if target.startswith("/"):
        candidates = [target]
    elif "/" in target:
        candidates = [workdir.rstrip("/") + "/" + target]
    else:  # looked up in PATH (the default PATH of Docker images), then the WORKDIR
        candidates = [d + "/" + target for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                                 "/sbin", "/bin")] + [workdir.rstrip("/") + "/" + target]
    for tgt in candidates:
        if tgt in copies:
            return {tgt: copies[tgt]}
    for tgt in candidates:
        for dest, src in copies.items():  # a directory copied whole
            if tgt.startswith(dest.rstrip("/") + "/"):
                return {tgt: src.rstrip("/") + tgt[len(dest.rstrip("/")):]}
    return {}


DOCKERIGNORE = ".dockerignore"  # key of the ignore file's text in the files mapping


def context_files(df: Dockerfile, context_dir: Path | None) -> dict[str, str]:
    """Read from the build context what rules need: the ENTRYPOINT script(s)
    (in-image path → text) and the ignore file (key ``.dockerignore``: BuildKit's
    ``<Dockerfile name>.dockerignore`` beside the Dockerfile wins over the context's)."""
    if context_dir is None:
        return {}
    out: dict[str, str] = {}
    root = context_dir.resolve()
    candidates = []
    if df.path and df.path != "-":
        dfp = Path(df.path)
        candidates.append(dfp.with_name(dfp.name + ".dockerignore"))
    candidates.append(root / ".dockerignore")
    for ign in candidates:
        try:
            if ign.is_file() and ign.stat().st_size <= MAX_CONTEXT_FILE:
                out[DOCKERIGNORE] = ign.read_text(encoding="utf-8", errors="replace")
                break
        except OSError as e:
            log.debug("cannot read %s: %s", ign, e)
    for image_path, src in entrypoint_sources(df).items():
        p = (root / src.lstrip("/")).resolve()
        try:
            p.relative_to(root)
        except ValueError:
            continue  # outside the context: not something a build could copy
        try:
            if p.is_file() and p.stat().st_size <= MAX_CONTEXT_FILE:
                out[image_path] = p.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            log.debug("cannot read %s: %s", p, e)
    return out
