"""The lint engine: rule registry, findings, shared analysis, and the run.

Rules are pure functions registered with :func:`rule`.  Each receives a
:class:`Context` (the parsed :class:`~dockline.dockerfile.model.Dockerfile`, the
shared per-instruction analysis -- RUN bodies parsed once as shell -- and only its
own options) and yields :class:`Hit` objects.  The engine turns hits into
:class:`Finding` objects and applies, afterwards, what rules never see: severity
overrides, ignores, pragmas and the failure threshold.

Only the ENTRYPOINT-script rule needs a file from the build context; the engine
reads it (see :func:`context_files`) and hands the text to the rule through the
context, so rules themselves do no I/O.
"""

from __future__ import annotations

import enum
import functools
import importlib
import logging
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dockline.dockerfile.model import Dockerfile, Instruction, Position, Stage
from dockline.dockerfile.shell import Command, Script, effective, parse_script, shell_dialect

log = logging.getLogger("dockline.lint")


class Severity(enum.IntEnum):
    """Finding severity; higher is worse.  ``NONE`` only as a threshold/override."""

    NONE = 0  # "ignore": never reported
    STYLE = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``error|warning|info|style|ignore|none`` → Severity (ValueError otherwise)."""
        t = text.strip().lower()
        if t in ("ignore", "none", "off"):
            return cls.NONE
        try:
            return cls[t.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning, info, style or none") from None

    @property
    def label(self) -> str:
        return "ignore" if self is Severity.NONE else self.name.lower()


class FixSafety(enum.Enum):
    """Whether a rule can fix what it finds, and how safely."""

    NONE = "none"
    SAFE = "safe"  # the meaning of the Dockerfile is kept
    UNSAFE = "unsafe"  # may change behaviour; applied only with --unsafe-fixes


@dataclass(frozen=True)
class Edit:
    """Replace source text from (line, col) up to (end_line, end_col) (1-based, end exclusive)."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A set of edits that fixes one finding."""

    safety: FixSafety
    description: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Hit:
    """What a rule yields: where and what; the engine adds id and severity."""

    pos: Position
    message: str
    fix: Fix | None = None
    end_line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One reported problem."""

    rule: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    name: str = ""
    fix: Fix | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)  # the physical source line

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.rule,
            "name": self.name,
            "level": self.severity.label,
            "message": self.message,
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "fixable": None if self.fix is None else self.fix.safety.value,
        }


# ---------------------------------------------------------------------------------
# Registry


RuleFunc = Callable[["Context"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    id: str
    name: str
    severity: Severity
    status: str  # preview | stable | deprecated
    fix: FixSafety
    func: RuleFunc = field(compare=False, repr=False)
    module: str = ""
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # options and build-context files the docstring examples need (e.g. a registry list)
    doc_options: Mapping[str, Any] = field(default_factory=dict, compare=False)
    doc_files: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def doc(self) -> str:
        import inspect

        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def family(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    @property
    def summary(self) -> str:
        """The first sentence of *What it does*."""
        sections = doc_sections(self.doc)
        text = " ".join(sections.get("What it does", "").split())
        return text.split(". ")[0].rstrip(".")


_REGISTRY: dict[str, Rule] = {}
_LOADED = False
STATUSES = ("preview", "stable", "deprecated")
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References")


def rule(
    id: str,
    name: str,
    severity: str,
    *,
    status: str = "stable",
    fix: str = "none",
    options: Mapping[str, Any] | None = None,
    doc_options: Mapping[str, Any] | None = None,
    doc_files: Mapping[str, str] | None = None,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function under ``id``."""

    def deco(func: RuleFunc) -> RuleFunc:
        if id in _REGISTRY:
            raise ValueError(f"duplicate rule id {id}")
        if status not in STATUSES:
            raise ValueError(f"{id}: bad status {status}")
        _REGISTRY[id] = Rule(
            id=id,
            name=name,
            severity=Severity.parse(severity),
            status=status,
            fix=FixSafety(fix),
            func=func,
            module=func.__module__,
            options=dict(options or {}),
            doc_options=dict(doc_options or {}),
            doc_files=dict(doc_files or {}),
        )
        return func

    return deco


def rule_modules() -> list[str]:
    """Names of every module in :mod:`dockline.dockerfile.rules`."""
    from dockline.dockerfile import rules as pkg

    return [f"{pkg.__name__}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]


def registry() -> dict[str, Rule]:
    """Every rule, by id (imports the rules package on first use)."""
    global _LOADED
    if not _LOADED:
        for mod in rule_modules():
            importlib.import_module(mod)
        _LOADED = True
    return dict(sorted(_REGISTRY.items(), key=lambda kv: _id_key(kv[0])))


@functools.lru_cache(maxsize=1024)
def _id_key(rule_id: str) -> tuple[str, int]:
    m = re.match(r"([A-Z]+)(\d+)", rule_id)
    return (m.group(1), int(m.group(2))) if m else (rule_id, 0)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its ``## Section`` parts."""
    out: dict[str, str] = {}
    current: str | None = None
    buf: list[str] = []
    for line in doc.splitlines():
        m = re.match(r"^##\s+(.+?)\s*$", line)
        if m:
            if current is not None:
                out[current] = "\n".join(buf).strip("\n")
            current, buf = m.group(1), []
        elif current is not None:
            buf.append(line)
    if current is not None:
        out[current] = "\n".join(buf).strip("\n")
    return out


def doc_example(section: str) -> str:
    """The first fenced code block of a docs section."""
    m = re.search(r"```[a-zA-Z]*\n(.*?)```", section, re.DOTALL)
    return m.group(1) if m else ""


# ---------------------------------------------------------------------------------
# Shared analysis


_WINDOWS_BASE = re.compile(r"(windows/|servercore|nanoserver|windowsservercore)", re.IGNORECASE)
DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")
SCRIPT_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"}


@dataclass(frozen=True, eq=False)  # identity semantics: hashing a Stage would walk the whole file
class RunInfo:
    """A RUN instruction with its shell analysis."""

    instruction: Instruction  # the RUN itself (ONBUILD's inner one for ONBUILD RUN)
    at: Instruction  # where to report (the ONBUILD for ONBUILD RUN)
    stage: Stage | None
    script: Script
    shell: tuple[str, ...]

    def __post_init__(self) -> None:
        by_name: dict[str, list[Command]] = {}
        for c in self.script.commands:
            e = effective(c)
            by_name.setdefault(e.basename, []).append(e)
        object.__setattr__(self, "_by_name", by_name)

    @property
    def commands(self) -> tuple[Command, ...]:
        return self.script.commands

    def named(self, *names: str) -> list[Command]:
        """Commands (after sudo/env wrappers) whose name is one of ``names``, in order."""
        by_name: dict[str, list[Command]] = self._by_name  # type: ignore[attr-defined]
        if len(names) == 1:
            return list(by_name.get(names[0], ()))
        found = [c for n in names for c in by_name.get(n, ())]
        found.sort(key=lambda c: c.offset)
        return found

    @property
    def effective_commands(self) -> list[Command]:
        """Every command after wrappers, in order."""
        by_name: dict[str, list[Command]] = self._by_name  # type: ignore[attr-defined]
        return sorted((c for cs in by_name.values() for c in cs), key=lambda c: c.offset)


class Context:
    """What a rule gets: the file, the shared analysis and its own options."""

    def __init__(self, df: Dockerfile, analysis: Analysis, options: Mapping[str, Any]):
        self.df = df
        self.analysis = analysis
        self.options = options

    @property
    def runs(self) -> tuple[RunInfo, ...]:
        return self.analysis.runs

    def stage_of(self, ins: Instruction) -> Stage | None:
        return self.analysis.stage_of.get(id(ins))

    @property
    def files(self) -> Mapping[str, str]:
        return self.analysis.files

    def run_of(self, ins: Instruction) -> RunInfo | None:
        """The shell analysis of a RUN instruction (``None`` for other instructions)."""
        return self.analysis.run_by_id.get(id(ins))


class Analysis:
    """Per-file facts computed once and shared by every rule."""

    def __init__(self, df: Dockerfile, files: Mapping[str, str] | None = None,
                 shell_pragma: str | None = None):
        self.df = df
        self.files: Mapping[str, str] = files or {}
        self.shell_pragma = shell_pragma
        self.stage_of: dict[int, Stage] = {}
        for st in df.stages:
            self.stage_of[id(st.from_instruction)] = st
            for ins in st.instructions:
                self.stage_of[id(ins)] = st

    @cached_property
    def stage_shells(self) -> dict[int, tuple[str, ...]]:
        """The SHELL in effect at the end of each stage (inherited through FROM <stage>)."""
        out: dict[int, tuple[str, ...]] = {}
        for st in self.df.stages:
            out[st.index] = self._initial_shell(st, out)
            for ins in st.instructions:
                if ins.keyword == "SHELL" and ins.json_form and ins.args:
                    out[st.index] = tuple(ins.args)
        return out

    def _initial_shell(self, st: Stage, done: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
        if st.parent is not None and st.parent in done:
            return done[st.parent]
        if self.shell_pragma:
            return (self.shell_pragma,)
        if _WINDOWS_BASE.search(st.base_expanded or st.base):
            return ("cmd", "/S", "/C")
        return DEFAULT_SHELL

    @cached_property
    def runs(self) -> tuple[RunInfo, ...]:
        out: list[RunInfo] = []
        shells = self.stage_shells
        for st in self.df.stages:
            shell = self._initial_shell(st, shells)
            for ins in st.instructions:
                if ins.keyword == "SHELL" and ins.json_form and ins.args:
                    shell = tuple(ins.args)
                elif ins.keyword == "RUN":
                    out.append(RunInfo(ins, ins, st, run_script(ins, shell), shell))
                elif ins.keyword == "ONBUILD" and ins.sub is not None and ins.sub.keyword == "RUN":
                    out.append(RunInfo(ins.sub, ins, st, run_script(ins.sub, shell), shell))
        return tuple(out)

    @cached_property
    def run_by_id(self) -> dict[int, RunInfo]:
        """RunInfo by ``id()`` of its RUN instruction (ONBUILD's inner one included)."""
        return {id(r.instruction): r for r in self.runs}

    @cached_property
    def final_stage(self) -> Stage | None:
        return self.df.stages[-1] if self.df.stages else None


def run_script(ins: Instruction, shell: tuple[str, ...]) -> Script:
    """The shell analysis of a RUN (exec form, shell form and heredoc bodies)."""
    if shell_dialect(shell) == "windows":
        return Script(ins.text, (), (), "windows")
    if ins.json_form:
        argv = list(ins.args)
        if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SCRIPT_SHELLS and argv[1].startswith("-") \
                and "c" in argv[1]:
            return parse_script(argv[2])
        from dockline.dockerfile.shell import Command as _C
        from dockline.dockerfile.shell import Word

        words = tuple(Word(a, a, 0) for a in argv)
        return Script(ins.text, (_C(words),) if words else (), (), "posix")
    text = ins.args[0] if ins.args else ""
    script = parse_script(text)
    if not ins.heredocs:
        return script
    parts = [script]
    cmds = [c for c in script.commands if c.words]
    runs_body = not cmds or (cmds[0].basename in SCRIPT_SHELLS and len(cmds) == 1)
    if runs_body:
        for h in ins.heredocs:
            first = h.content.split("\n", 1)[0]
            if first.startswith("#!") and first.split("/")[-1].split()[0] not in SCRIPT_SHELLS \
                    and not re.search(r"\benv\s+(ba|da|a|z)?sh\b", first):
                continue  # another interpreter (python, node...)
            parts.append(parse_script(h.content))
    if len(parts) == 1:
        return script
    commands: list[Command] = []
    for k, p in enumerate(parts):
        for c in p.commands:
            commands.append(Command(c.words, c.assignments, c.redirects, c.offset, c.pipeline + 100_000 * k,
                                    c.pipe_index, c.pipe_length, c.depth, c.in_substitution, c.separator,
                                    c.negated))
    errors = tuple(e for p in parts for e in p.errors)
    return Script(text, tuple(commands), errors, "posix")


# ---------------------------------------------------------------------------------
# Build-context files for the ENTRYPOINT-script rule


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


# ---------------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class RuleSettings:
    """What the engine applies around rules: from the config file and the command line."""

    ignored: frozenset[str] = frozenset()
    overrides: Mapping[str, Severity] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # rule id → options
    disable_pragmas: bool = False
    select_preview: bool = True
    # runs ShellCheck on RUN bodies (dockerfile.shellcheck.ShellCheck); None: no SC findings
    shellcheck: Callable[[Any], Any] | None = field(default=None, compare=False)


def check_dockerfile(
    df: Dockerfile,
    settings: RuleSettings | None = None,
    *,
    files: Mapping[str, str] | None = None,
    rules: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every (or the selected) rule on ``df``; apply overrides, ignores and pragmas."""
    from dockline.dockerfile.pragmas import Pragmas

    settings = settings or RuleSettings()
    reg = registry()
    pragmas = Pragmas.from_dockerfile(df) if not settings.disable_pragmas else Pragmas.empty()
    analysis = Analysis(df, files, pragmas.shell)
    wanted = set(rules) if rules is not None else None
    path = df.path or "-"
    findings: list[Finding] = []
    for rid, r in reg.items():
        if wanted is not None and rid not in wanted:
            continue
        if rid in settings.ignored:
            continue
        sev = settings.overrides.get(rid, r.severity)
        if sev is Severity.NONE:
            continue
        opts = dict(r.options)
        opts.update(settings.options.get(rid, {}))
        ctx = Context(df, analysis, opts)
        try:
            hits = list(r.func(ctx))
        except RecursionError:
            log.warning("%s: rule %s gave up (nesting too deep)", path, rid)
            continue
        for h in hits:
            if pragmas.ignores(rid, h.pos.line):
                continue
            findings.append(Finding(
                rule=rid, severity=sev, message=h.message, path=path, line=h.pos.line,
                column=max(1, h.pos.column), end_line=h.end_line or h.pos.line, name=r.name, fix=h.fix,
                source=df.line(h.pos.line),
            ))
    if settings.shellcheck is not None and (wanted is None or any(w.startswith("SC") for w in wanted)):
        findings.extend(_shellcheck_findings(df, analysis, settings, pragmas, path, wanted))
    findings.sort(key=lambda f: (f.line, f.column, _id_key(f.rule)))
    return findings


_SC_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "style": Severity.STYLE}


def _shellcheck_findings(df: Dockerfile, analysis: Analysis, settings: RuleSettings, pragmas: Any, path: str,
                         wanted: set[str] | None) -> list[Finding]:
    """ShellCheck's findings on the RUN bodies, under the same ignores, overrides and pragmas."""
    from dockline.dockerfile.shellcheck import ShellCheckError, scripts_for

    assert settings.shellcheck is not None
    try:
        results = settings.shellcheck(scripts_for(df, analysis.runs))
    except ShellCheckError as e:
        log.warning("%s: %s; no SC findings for this file", path, e)
        return []
    out = []
    for sc in results:
        if sc.code in settings.ignored or (wanted is not None and sc.code not in wanted):
            continue
        sev = settings.overrides.get(sc.code, _SC_SEVERITY[sc.level])
        if sev is Severity.NONE or pragmas.ignores(sc.code, sc.line):
            continue
        out.append(Finding(rule=sc.code, severity=sev, message=sc.message, path=path, line=sc.line,
                           column=sc.column, end_line=sc.end_line, name="shellcheck", source=df.line(sc.line)))
    return out


def iter_instructions(df: Dockerfile, *, onbuild: bool = False) -> Iterator[Instruction]:
    """Every instruction (and, with ``onbuild``, ONBUILD inner instructions)."""
    for ins in df.instructions:
        yield ins
        if onbuild and ins.sub is not None:
            yield ins.sub


# ---------------------------------------------------------------------------------
# Files: discovery, reading, structural validity, the per-file run


MAX_FILE_BYTES = 4 << 20  # real Dockerfiles are < 200 kB; anything this big is not one
DOCKERFILE_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


@dataclass(frozen=True)
class FileResult:
    """What linting one input gave: findings, or the error that stopped it."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # message when the file could not be read or parsed
    error_line: int | None = None
    error_column: int | None = None
    fixed: int = 0  # fixes applied (with --fix)
    original: str | None = field(default=None, repr=False)  # text before fixes (for --diff)
    fixed_text: str | None = field(default=None, repr=False)


def is_dockerfile_name(name: str) -> bool:
    """``Dockerfile``, ``*.Dockerfile`` or ``Dockerfile.*`` (not ``*.dockerignore``:
    BuildKit's per-Dockerfile ignore files are named ``Dockerfile.dockerignore``)."""
    if name.endswith(".dockerignore"):
        return False
    return name == "Dockerfile" or name.endswith(".Dockerfile") or name.startswith("Dockerfile.")


def discover(paths: Iterable[str]) -> tuple[list[str], list[FileResult]]:
    """Expand directories (recursively, sorted) into Dockerfiles; keep files and ``-``.
    Returns the inputs and the errors for paths that give nothing to check."""
    inputs: list[str] = []
    errors: list[FileResult] = []
    for raw in paths:
        if raw == "-":
            inputs.append(raw)
            continue
        p = Path(raw)
        if p.is_dir():
            found = []
            for sub in sorted(p.rglob("*")):
                if any(part in DOCKERFILE_SKIP_DIRS for part in sub.relative_to(p).parts[:-1]):
                    continue
                if is_dockerfile_name(sub.name) and sub.is_file():
                    found.append(str(sub))
            if not found:
                errors.append(FileResult(raw, error="no Dockerfile here (looked for Dockerfile, *.Dockerfile, Dockerfile.*)"))
            inputs.extend(found)
        elif p.exists() or p.is_symlink():
            inputs.append(raw)
        else:
            errors.append(FileResult(raw, error="no such file or directory"))
    return inputs, errors


def read_input(path: str, stdin: Any = None) -> bytes | FileResult:
    """The bytes of ``path`` (``-``: stdin), or a FileResult with the error."""
    import sys

    try:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(MAX_FILE_BYTES + 1)
            if isinstance(data, str):
                data = data.encode("utf-8")
        else:
            p = Path(path)
            if not p.is_file():
                return FileResult(path, error="not a regular file")
            size = p.stat().st_size
            if size > MAX_FILE_BYTES:
                return FileResult(path, error=f"file too large for a Dockerfile ({size / 1e6:.1f} MB > {MAX_FILE_BYTES >> 20} MiB)")
            with p.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        return FileResult(path, error=f"cannot read: {e.strerror or e}")
    if len(data) > MAX_FILE_BYTES:
        return FileResult(path, error=f"input too large for a Dockerfile (> {MAX_FILE_BYTES >> 20} MiB)")
    return data


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
    from dockline.dockerfile.parser import parse
    from dockline.errors import DockerfileSyntaxError

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
        from dockline.dockerfile.fixes import FixesDidNotSettle, fix_text

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
