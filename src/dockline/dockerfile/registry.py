"""The rule registry: rules register with :func:`rule`; :func:`registry` finds them all.

Registration is checked, not remembered: ids are unique, statuses known, and the rule
docstrings -- split by :func:`doc_sections` -- are the rule documentation
(``dockline lint --explain``, ``--docs``: :func:`explain_text`, :func:`rules_markdown`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockline.dockerfile import rules as rules_package
from dockline.dockerfile.analysis import Context
from dockline.dockerfile.findings import FixSafety, Hit, Severity, rule_order

RuleFunc = Callable[[Context], Iterable[Hit]]


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
    """Names of every module in :mod:`dockline.dockerfile.rules` (the package itself
    imports nothing: its modules import this one and register their rules)."""
    return [f"{rules_package.__name__}.{m.name}" for m in pkgutil.iter_modules(rules_package.__path__)
            if not m.name.startswith("_")]


def registry() -> dict[str, Rule]:
    """Every rule, by id (imports the rules package on first use)."""
    global _LOADED
    if not _LOADED:
        for mod in rule_modules():
            importlib.import_module(mod)
        _LOADED = True
    return dict(sorted(_REGISTRY.items(), key=lambda kv: rule_order(kv[0])))


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


def explain_text(r: Rule) -> str:
    """``--explain``: the rule header and its docstring."""
    return (f"# {r.id} {r.name}\n\nseverity: {r.severity.label} | status: {r.status} | fix: {r.fix.value} "
            f"| family: {r.family}\n\n{r.doc}\n")


def rules_markdown() -> str:
    """docs/rules.md, generated from the registry."""
    rules = registry()
    out = ["# dockline lint rules", "",
           "Generated from the rule docstrings by `dockline lint --docs > docs/rules.md`; do not edit by hand.",
           "", f"{len(rules)} rules. Severity is the default (change it with `override:` in the config).", "",
           "| id | name | severity | status | fix | summary |", "|---|---|---|---|---|---|"]
    for r in rules.values():
        summary = r.summary.replace("|", "\\|")
        out.append(f"| [{r.id}](#{r.id.lower()}) | {r.name} | {r.severity.label} | {r.status} | {r.fix.value} | "
                   f"{summary} |")
    out.append("")
    for r in rules.values():
        out.append(f"## {r.id}")
        out.append("")
        out.append(f"**{r.name}** — severity {r.severity.label}, {r.status}, fix: {r.fix.value}, family `{r.family}`")
        out.append("")
        out.append(r.doc.replace("\n## ", "\n### ").replace("## What it does", "### What it does", 1))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
