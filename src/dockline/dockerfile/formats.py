"""Render lint results: human (rich markup), json, sarif 2.1.0, checkstyle, gitlab, github,
gnu, codacy, sonarqube and junit (hadolint's formats of those names).

Pure: every renderer takes the results and returns a string; the CLI prints it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence

from dockline import __version__
from dockline.dockerfile.findings import FileResult, Finding, Severity
from dockline.dockerfile.registry import Rule

TOOL_URI = "https://github.com/dockline/dockline"


def _error_finding(r: FileResult) -> Finding:
    return Finding(rule="DL1000", severity=Severity.ERROR, message=r.error or "", path=r.path,
                   line=r.error_line or 1, column=r.error_column or 1, end_line=r.error_line or 1,
                   name="parse-error")


def all_findings(results: Sequence[FileResult]) -> list[Finding]:
    """Findings of every file, parse errors included as DL1000 (like hadolint)."""
    out: list[Finding] = []
    for r in results:
        if r.error is not None:
            out.append(_error_finding(r))
        out.extend(r.findings)
    return out


# ---- human -------------------------------------------------------------------------

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan", Severity.STYLE: "magenta"}


def human(results: Sequence[FileResult], *, show_source: bool = True, markup: bool = True) -> str:
    """``file:line:col ID severity: message`` and the source line; rich markup, or plain
    text with ``markup=False`` (for pipes: the same text without styles)."""
    def escape(text: str) -> str:
        return text.replace("[", "\\[") if markup else text

    def style(text: str, s: str) -> str:
        return f"[{s}]{text}[/]" if markup else text

    lines: list[str] = []
    for r in results:
        for f in r.findings:
            fixable = (" [dim]\\[fixable][/dim]" if markup else " [fixable]") if f.fix is not None else ""
            sev = _STYLE[f.severity]
            lines.append(
                f"{style(escape(f.path), 'bold')}:{f.line}:{f.column} {style(f.rule, sev)} "
                f"{style(f.severity.label, sev)}: {escape(f.message)}{fixable}"
            )
            if show_source and f.source.strip():
                lines.append(f"{style(f'{f.line:>5} |', 'dim')} {escape(f.source.rstrip())}")
    return "\n".join(lines)


def summary(results: Sequence[FileResult]) -> str:
    """One line: files, findings by severity, errors, fixes."""
    found = [f for r in results for f in r.findings]
    by = {s: sum(1 for f in found if f.severity is s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.STYLE)}
    bad = sum(1 for r in results if r.error is not None)
    fixed = sum(r.fixed for r in results)
    parts = [f"{len(results)} file{'s' if len(results) != 1 else ''} checked"]
    if bad:
        parts[0] = f"{len(results) - bad} of {len(results)} files checked"
    parts.append(f"{len(found)} finding{'s' if len(found) != 1 else ''}" + (
        " (" + ", ".join(f"{n} {s.label}" for s, n in by.items() if n) + ")" if found else ""))
    fixable = sum(1 for f in found if f.fix is not None)
    if fixable:
        parts.append(f"{fixable} fixable with --fix")
    if fixed:
        parts.append(f"{fixed} fixed")
    if bad:
        parts.append(f"{bad} could not be checked")
    return ", ".join(parts)


# ---- json ------------------------------------------------------------------------------


def to_json(results: Sequence[FileResult]) -> str:
    """hadolint's JSON list ``{code, column, file, level, line, message}`` plus dockline's extras."""
    return json.dumps([f.to_dict() for f in all_findings(results)], indent=2)


# ---- sarif -----------------------------------------------------------------------------

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.STYLE: "note",
                Severity.NONE: "none"}


def to_sarif(results: Sequence[FileResult], rules: Mapping[str, Rule]) -> str:
    """A SARIF 2.1.0 log with one run."""
    findings = all_findings(results)
    used = sorted({f.rule for f in findings})
    index = {rid: i for i, rid in enumerate(used)}
    descriptors = []
    for rid in used:
        r = rules.get(rid)
        d: dict[str, object] = {"id": rid}
        if r is not None:
            d["name"] = r.name
            d["shortDescription"] = {"text": r.summary or r.name}
            d["helpUri"] = f"{TOOL_URI}/blob/main/docs/rules.md#{rid.lower()}"
            d["defaultConfiguration"] = {"level": _SARIF_LEVEL[r.severity]}
            d["properties"] = {"status": r.status, "fix": r.fix.value}
        elif rid.startswith("SC"):
            d["name"] = "shellcheck"
            d["shortDescription"] = {"text": f"ShellCheck {rid} on a RUN body"}
            d["helpUri"] = f"https://www.shellcheck.net/wiki/{rid}"
        else:
            d["name"] = "parse-error"
            d["shortDescription"] = {"text": "The Dockerfile could not be parsed"}
        descriptors.append(d)
    out_results = []
    for f in findings:
        region: dict[str, int] = {"startLine": f.line, "startColumn": f.column}
        if f.end_line >= f.line:
            region["endLine"] = f.end_line
        out_results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": region,
            }}],
        })
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockline", "version": __version__, "informationUri": TOOL_URI,
                                "rules": descriptors}},
            "results": out_results,
        }],
    }
    return json.dumps(log, indent=2)


def _uri(path: str) -> str:
    from urllib.parse import quote

    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return quote(p, safe="/:")


# ---- checkstyle ----------------------------------------------------------------------------

_CS_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info", Severity.STYLE: "info"}


def to_checkstyle(results: Sequence[FileResult]) -> str:
    """Checkstyle XML (one ``<file>`` per input)."""
    from xml.sax.saxutils import quoteattr

    out = ["<?xml version='1.0' encoding='UTF-8'?>", '<checkstyle version="4.3">']
    for r in results:
        fs = ([_error_finding(r)] if r.error is not None else []) + list(r.findings)
        out.append(f"  <file name={quoteattr(r.path)}>")
        for f in fs:
            out.append(
                f"    <error line=\"{f.line}\" column=\"{f.column}\" severity=\"{_CS_LEVEL[f.severity]}\" "
                f"message={quoteattr(f.message)} source={quoteattr('dockline.' + f.rule)}/>"
            )
        out.append("  </file>")
    out.append("</checkstyle>")
    return "\n".join(out)


# ---- gitlab code quality (codeclimate) -------------------------------------------------------

_GL_LEVEL = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "minor", Severity.STYLE: "info"}


def to_gitlab(results: Sequence[FileResult]) -> str:
    """GitLab Code Quality report (a Code Climate issue list)."""
    issues = []
    for f in all_findings(results):
        fp = hashlib.sha256(f"{f.path}:{f.line}:{f.rule}:{f.message}".encode()).hexdigest()
        issues.append({
            "type": "issue",
            "check_name": f.rule,
            "description": f"{f.rule}: {f.message}",
            "categories": ["Style" if f.severity is Severity.STYLE else "Bug Risk"],
            "fingerprint": fp,
            "severity": _GL_LEVEL[f.severity],
            "location": {"path": f.path, "lines": {"begin": f.line, "end": f.end_line}},
        })
    return json.dumps(issues, indent=2)


# ---- github workflow commands -----------------------------------------------------------------

_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def to_github(results: Sequence[FileResult]) -> str:
    """GitHub Actions annotations (``::error file=...,line=...::message``)."""
    lines = []
    for f in all_findings(results):
        lines.append(
            f"::{_GH_LEVEL[f.severity]} file={_gh_prop(f.path)},line={f.line},col={f.column},"
            f"endLine={f.end_line},title={_gh_prop(f.rule)}::{_gh_data(f.rule + ' ' + f.message)}"
        )
    return "\n".join(lines)


# ---- gnu: program:file:line:column: message ----------------------------------------------------


def to_gnu(results: Sequence[FileResult]) -> str:
    """GNU error format (editors and compilation buffers jump to it)."""
    return "\n".join(f"dockline:{f.path}:{f.line}:{f.column}: {f.rule} {f.severity.label}: {f.message}"
                     for f in all_findings(results))


# ---- codacy: one JSON object per line ----------------------------------------------------------


def to_codacy(results: Sequence[FileResult]) -> str:
    """Codacy's tool result lines ``{filename, line, message, patternId}``."""
    return "\n".join(json.dumps({"filename": f.path, "line": f.line, "message": f.message, "patternId": f.rule})
                     for f in all_findings(results))


# ---- sonarqube generic issue import -----------------------------------------------------------

_SONAR_SEVERITY = {Severity.ERROR: "CRITICAL", Severity.WARNING: "MAJOR", Severity.INFO: "MINOR",
                   Severity.STYLE: "INFO"}


def to_sonarqube(results: Sequence[FileResult]) -> str:
    """SonarQube's generic issue import format (``sonar.externalIssuesReportPaths``)."""
    issues = []
    for f in all_findings(results):
        issues.append({
            "engineId": "dockline",
            "ruleId": f.rule,
            "severity": _SONAR_SEVERITY[f.severity],
            "type": "BUG" if f.severity is Severity.ERROR else "CODE_SMELL",
            "primaryLocation": {"message": f.message, "filePath": f.path,
                                "textRange": {"startLine": f.line, "endLine": max(f.line, f.end_line),
                                              "startColumn": f.column - 1}},
        })
    return json.dumps({"issues": issues}, indent=2)


# ---- junit xml ---------------------------------------------------------------------------------


def to_junit(results: Sequence[FileResult]) -> str:
    """JUnit XML for CI test reports: a suite per file, a failing test case per finding, an
    erroring one for a file that could not be checked, a passing one for a clean file."""
    from xml.sax.saxutils import escape, quoteattr

    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    suites = []
    total = failures = errors = 0
    for r in results:
        cases = []
        if r.error is not None:
            e = _error_finding(r)
            cases.append(f'    <testcase classname={quoteattr(r.path)} name={quoteattr(f"{e.rule} line {e.line}")}>\n'
                         f'      <error type="DL1000" message={quoteattr(e.message)}>'
                         f"{escape(f'{r.path}:{e.line}:{e.column}: {e.message}')}</error>\n    </testcase>")
            errors += 1
        for f in r.findings:
            cases.append(f'    <testcase classname={quoteattr(r.path)} name={quoteattr(f"{f.rule} line {f.line}")}>\n'
                         f'      <failure type={quoteattr(f.severity.label)} message={quoteattr(f.message)}>'
                         f"{escape(f'{f.path}:{f.line}:{f.column}: {f.rule} {f.severity.label}: {f.message}')}"
                         "</failure>\n    </testcase>")
            failures += 1
        if not cases:
            cases.append(f'    <testcase classname={quoteattr(r.path)} name="no findings"/>')
        total += len(cases)
        bad_here = sum(1 for c in cases if "<failure" in c)
        err_here = sum(1 for c in cases if "<error" in c)
        suites.append(f'  <testsuite name={quoteattr(r.path)} tests="{len(cases)}" failures="{bad_here}" '
                      f'errors="{err_here}">\n' + "\n".join(cases) + "\n  </testsuite>")
    out.append(f'<testsuites name="dockline lint" tests="{total}" failures="{failures}" errors="{errors}">')
    out.extend(suites)
    out.append("</testsuites>")
    return "\n".join(out)


_Renderer = Callable[[Sequence[FileResult], Mapping[str, Rule]], str]
# the machine formats of vocabulary.FORMATS (``human`` is printed by the CLI: rich markup on a terminal)
_RENDERERS: dict[str, _Renderer] = {
    "json": lambda results, _rules: to_json(results),
    "sarif": to_sarif,
    "checkstyle": lambda results, _rules: to_checkstyle(results),
    "gitlab": lambda results, _rules: to_gitlab(results),
    "github": lambda results, _rules: to_github(results),
    "gnu": lambda results, _rules: to_gnu(results),
    "codacy": lambda results, _rules: to_codacy(results),
    "sonarqube": lambda results, _rules: to_sonarqube(results),
    "junit": lambda results, _rules: to_junit(results),
}

def render(fmt: str, results: Sequence[FileResult], rules: Mapping[str, Rule]) -> str:
    """Dispatch on the format name (machine formats only; human is printed by the CLI)."""
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown format {fmt!r}")
    return _RENDERERS[fmt](results, rules)
