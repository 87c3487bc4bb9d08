"""Linting files: the pipeline the CLI, the pre-commit hook and library users call.

:func:`lint_paths` takes paths (files, directories, ``-`` for stdin), finds the
Dockerfiles, lints them (side by side when ShellCheck runs: it is a process per file),
writes fixes back (``fix``) or collects them as unified diffs (``diff``), and returns a
:class:`LintReport` with the results in input order and the exit status::

    from dockline.dockerfile.lint import lint_paths
    report = lint_paths(["Dockerfile"], failure_threshold="warning")
    report.exit_code  # 0 clean, 1 findings at/above the threshold, 2 bad input

:func:`lint_bytes` is one file: parse, check what BuildKit rejects after parsing
(:func:`structural_error`), (fix,) run the rules.  Rendering is the caller's
(:mod:`dockline.dockerfile.formats`).
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockline.dockerfile.check import RuleSettings, check_dockerfile
from dockline.dockerfile.findings import FileResult, Severity
from dockline.dockerfile.fixes import FixesDidNotSettle, fix_text
from dockline.dockerfile.inputs import Input, context_files, discover_inputs, inside, read_input
from dockline.dockerfile.model import Dockerfile
from dockline.dockerfile.parser import parse
from dockline.errors import DockerfileSyntaxError, UsageError

log = logging.getLogger("dockline.lint")

#: exit statuses of a lint run
EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True)
class LintReport:
    """What :func:`lint_paths` did: every input's result (in the order given, a directory's
    Dockerfiles in discovery order), the diffs (``diff=True``: one unified diff per file
    the fixes change, in input order) and the exit status (:func:`exit_status`)."""

    results: tuple[FileResult, ...]
    exit_code: int
    diffs: tuple[str, ...] = ()

    @property
    def fixes(self) -> int:
        """Fixes applied (``fix``) or that would be (``diff``)."""
        return sum(r.fixed for r in self.results)

    @property
    def files_fixed(self) -> int:
        return sum(1 for r in self.results if r.fixed)

    @property
    def errors(self) -> tuple[FileResult, ...]:
        """The inputs that could not be checked."""
        return tuple(r for r in self.results if r.error is not None)


def lint_paths(
    paths: Sequence[str],
    settings: RuleSettings | None = None,
    *,
    context_dir: Path | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    failure_threshold: str = "info",
    no_fail: bool = False,
    stdin: Any = None,
) -> LintReport:
    """Lint ``paths`` (files, directories searched for Dockerfiles, ``-``: stdin).

    ``context_dir`` is the build context of every file (default: each file's directory).
    ``fix`` writes the fixes back (the BOM and line endings kept); ``diff`` writes
    nothing and returns the fixes as diffs instead; ``unsafe_fixes`` adds the unsafe ones.
    Raises :class:`~dockline.errors.UsageError` for ``fix`` on stdin; bad input is in
    the report, never raised."""
    if fix and not diff and "-" in paths:
        raise UsageError("--fix cannot write to stdin", "use --diff to see the fixes for stdin")
    settings = settings or RuleSettings()
    found, results = discover_inputs(paths)
    inputs = [i.path for i in found]

    def one(item: Input) -> tuple[str, bytes | None, FileResult]:
        path = item.path
        data = read_input(path, stdin, item.root)
        if isinstance(data, FileResult):
            return path, None, data
        ctx_dir = context_dir or (None if path == "-" else Path(path).parent)
        fixing = fix or diff
        if fix and not diff and fix_target(item) is None:
            log.warning("%s: not fixed: a symlink to a file outside %s (run --fix on the file itself)",
                        path, _tree_of(item))
            fixing = False
        return path, data, lint_bytes(data, path, settings, context_dir=ctx_dir, fix=fixing,
                                      unsafe_fixes=unsafe_fixes)

    if settings.shellcheck is not None and len(inputs) > 1:
        # ShellCheck is a process per file and dominates the time: run files side by side
        # (imported here: a single-file run, the pre-commit case, does not pay for it)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(inputs), os.cpu_count() or 2)) as pool:
            done = list(pool.map(one, found))
    else:
        done = [one(i) for i in found]
    diffs: list[str] = []
    for item, (path, data, res) in zip(found, done):
        if data is not None and res.fixed_text is not None and res.original is not None:
            if diff:
                diffs.append(unified_diff(path, res.original, res.fixed_text))
            else:
                target = fix_target(item)
                if target is not None:
                    write_fixed(target, data, res.fixed_text)
        results.append(res)
    # results in the order of the command line: a path keeps the place where it was first
    # named (a file given by name is also among the inputs found; the later index must not win)
    order: dict[str, int] = {}
    for i, p in enumerate([*paths, *inputs]):
        order.setdefault(p, i)
    results.sort(key=lambda r: order.get(r.path, len(order)))
    return LintReport(tuple(results), exit_status(results, diff=diff, failure_threshold=failure_threshold,
                                                  no_fail=no_fail), tuple(diffs))


def exit_status(results: Sequence[FileResult], *, diff: bool = False, failure_threshold: str = "info",
                no_fail: bool = False) -> int:
    """2 when an input could not be checked; with ``diff``, 1 when there is something to
    fix; else 1 for a finding at or above ``failure_threshold`` (never with ``no_fail``
    or threshold ``none``), 0 otherwise."""
    if any(r.error is not None for r in results):
        return EXIT_BAD_INPUT
    if diff:
        return EXIT_FINDINGS if any(r.fixed for r in results) else EXIT_CLEAN
    if no_fail:
        return EXIT_CLEAN
    threshold = Severity.parse(failure_threshold)
    if threshold is Severity.NONE:
        return EXIT_CLEAN
    if any(f.severity >= threshold for r in results for f in r.findings):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def unified_diff(path: str, before: str, after: str) -> str:
    """``--diff`` output for one file (``a/<path>`` → ``b/<path>``)."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"))


def _tree_of(item: Input) -> Path:
    """The tree a fix may write in: the directory searched, or for a file named on the
    command line the current directory (the repository, for the pre-commit hook), or
    the file's own directory when it is not below the current one."""
    if item.root is not None:
        return item.root
    path = Path(item.path)
    cwd = Path.cwd()
    return cwd if Path(os.path.abspath(path)).is_relative_to(cwd) else path.parent


def fix_target(item: Input) -> Path | None:
    """The file ``--fix`` writes for ``item``: the path itself, or, when it is a symlink,
    its target if that is inside the tree being linted (:func:`_tree_of`: a link
    ``Dockerfile -> docker/prod.Dockerfile`` is fixed as an editor would); ``None``
    when the link leads out of the tree (the pre-commit hook must never write outside
    the repository)."""
    path = Path(item.path)
    if not path.is_symlink():
        return path
    if not inside(path, _tree_of(item).resolve()):
        return None
    return Path(os.path.realpath(path))


def write_fixed(path: Path, original: bytes, text: str) -> None:
    """Write fixed text back, keeping the BOM and line endings of the original, the
    file's mode and (where allowed) its owner.  The new text goes to a temporary file
    created exclusively (``mkstemp``) beside ``path``, then replaces ``path`` at once:
    no planted file or symlink is written through, and a crash leaves the old file.
    ``path`` is the file itself (see :func:`fix_target`): replacing a symlink would
    replace the link, not its target."""
    data = text.encode("utf-8")
    if original.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    st = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockline-fix", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            _keep_owner(fh.fileno(), st)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _keep_owner(fd: int, st: os.stat_result) -> None:
    """The original owner and group where allowed (root; a group we are in), else ours."""
    for uid in (st.st_uid, -1):
        try:
            os.fchown(fd, uid, st.st_gid)
            return
        except OSError:
            continue


def structural_error(df: Dockerfile) -> tuple[str, int, int] | None:
    """What BuildKit's instruction layer rejects after parsing: (message, line, column)."""
    if not df.instructions:
        return ("file with no instructions", 1, 1)
    for ins in df.instructions:
        for i in (ins, ins.sub):
            if i is not None and not getattr(i, "known", True):
                raw = getattr(i, "keyword_raw", "") or i.keyword
                return (f"unknown instruction: {raw}", i.pos.line, i.pos.column)
            if i is not None and i.keyword == "SHELL" and not i.json_form:
                return ("SHELL requires the arguments in JSON form: SHELL [\"executable\", \"parameters\"]",
                        i.pos.line, i.pos.column)
    if not any(i.keyword == "FROM" for i in df.instructions):
        return ("no FROM instruction: nothing to build", 1, 1)
    for st in df.stages:
        if not st.from_instruction.text.strip():
            f = st.from_instruction
            return ("FROM requires the name of an image", f.pos.line, f.pos.column)
    return None


def lint_bytes(
    data: bytes,
    path: str,
    settings: RuleSettings | None = None,
    *,
    context_dir: Path | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
) -> FileResult:
    """Parse, (fix,) check one file.  Never raises for bad input: errors are in the result."""
    try:
        df = parse(data, path)
    except DockerfileSyntaxError as e:
        return FileResult(path, error=getattr(e, "raw_message", str(e)), error_line=e.line, error_column=e.column)
    except RecursionError:
        return FileResult(path, error="nesting too deep to parse")
    bad = structural_error(df)
    if bad is not None:
        return FileResult(path, error=bad[0], error_line=bad[1], error_column=bad[2])
    files = context_files(df, context_dir) if context_dir is not None else {}
    fixed = 0
    original = df.text
    new_text = None
    if fix:
        try:
            outcome = fix_text(df.text, path, settings=settings, unsafe=unsafe_fixes, files=files)
        except FixesDidNotSettle as e:
            log.warning("%s: %s; file left unchanged", path, e)
        else:
            if outcome.applied:
                fixed = outcome.applied
                new_text = outcome.text
                df = parse(new_text, path)
    findings = check_dockerfile(df, settings, files=files)
    return FileResult(path, tuple(findings), fixed=fixed, original=original, fixed_text=new_text)
