"""Running the rules on one parsed Dockerfile.

:func:`check_dockerfile` builds the shared :class:`~dockline.dockerfile.analysis.Analysis`,
calls every (or the selected) registered rule with its own options, merges ShellCheck's
findings on the RUN bodies, and applies afterwards what rules never see: ignores,
severity overrides and inline pragmas.  Findings come back sorted by position.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockline.dockerfile.analysis import Analysis, Context
from dockline.dockerfile.findings import Finding, Severity, rule_order
from dockline.dockerfile.model import Dockerfile
from dockline.dockerfile.pragmas import Pragmas
from dockline.dockerfile.registry import registry
from dockline.dockerfile.shellcheck import Runner, ShellCheckError, scripts_for

log = logging.getLogger("dockline.lint")


@dataclass(frozen=True)
class RuleSettings:
    """What the engine applies around rules: from the config file and the command line."""

    ignored: frozenset[str] = frozenset()
    overrides: Mapping[str, Severity] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # rule id → options
    disable_pragmas: bool = False
    select_preview: bool = True
    # runs ShellCheck on RUN bodies (dockerfile.shellcheck.ShellCheck); None: no SC findings
    shellcheck: Runner | None = field(default=None, compare=False)


def check_dockerfile(
    df: Dockerfile,
    settings: RuleSettings | None = None,
    *,
    files: Mapping[str, str] | None = None,
    rules: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every (or the selected) rule on ``df``; apply overrides, ignores and pragmas."""
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
    findings.sort(key=lambda f: (f.line, f.column, rule_order(f.rule)))
    return findings


_SC_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "style": Severity.STYLE}


def _shellcheck_findings(df: Dockerfile, analysis: Analysis, settings: RuleSettings, pragmas: Pragmas, path: str,
                         wanted: set[str] | None) -> list[Finding]:
    """ShellCheck's findings on the RUN bodies, under the same ignores, overrides and pragmas."""
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
