"""Registration is checked, not remembered: ids, modules, docs, docstring examples."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from dockline.dockerfile import lint
from dockline.dockerfile import registry as registry_module
from dockline.dockerfile.check import RuleSettings, check_dockerfile
from dockline.dockerfile.findings import FixSafety, Severity
from dockline.dockerfile.parser import parse
from dockline.dockerfile.registry import (
    DOC_SECTIONS,
    doc_example,
    doc_sections,
    registry,
    rule_modules,
)

RULES = registry()
REPO = Path(__file__).resolve().parents[3]


def test_ids_unique_and_well_formed() -> None:
    assert len(RULES) == len(set(RULES))
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names)), "rule names must be unique"
    for rid, r in RULES.items():
        assert re.fullmatch(r"(DL|DKL)\d{3,4}", rid), rid
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name
        assert r.status in ("preview", "stable", "deprecated")


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        registry_module.rule("DL3008", "again", "warning")(lambda ctx: [])


def test_every_rules_module_registers_rules() -> None:
    modules = rule_modules()
    assert modules, "no rules modules found"
    for mod in modules:
        importlib.import_module(mod)
        assert any(r.module == mod for r in RULES.values()), f"{mod} registers no rule"
    assert {r.module for r in RULES.values()} <= set(modules)


def test_all_hadolint_rules_present() -> None:
    hadolint = {"DL1001"} | {f"DL{n}" for n in range(3000, 3068)} | {"DL4000", "DL4001", "DL4003", "DL4004",
                                                                     "DL4005", "DL4006"}
    hadolint -= {"DL3005", "DL3017", "DL3031", "DL3039"}  # deleted upstream
    assert hadolint <= set(RULES), sorted(hadolint - set(RULES))


@pytest.mark.parametrize("rid", sorted(RULES))
def test_docs_complete(rid: str) -> None:
    r = RULES[rid]
    sections = doc_sections(r.doc)
    for name in DOC_SECTIONS:
        assert sections.get(name, "").strip(), f"{rid}: section '## {name}' missing or empty"
    assert doc_example(sections["Example"]).strip(), f"{rid}: Example has no code block"
    assert doc_example(sections["Use instead"]).strip(), f"{rid}: Use instead has no code block"
    if r.fix is not FixSafety.NONE:
        assert "safe" in sections["Fix safety"].lower()


@pytest.mark.parametrize("rid", sorted(RULES))
def test_docstring_examples(rid: str) -> None:
    """The rule fires on *Example* and not on *Use instead* (severity forced on for
    rules that are off by default)."""
    r = RULES[rid]
    sections = doc_sections(r.doc)
    settings = RuleSettings(overrides={rid: Severity.WARNING}, options={rid: dict(r.doc_options)})
    bad = parse(doc_example(sections["Example"]), "Example")
    good = parse(doc_example(sections["Use instead"]), "Use instead")
    assert lint.structural_error(bad) is None and lint.structural_error(good) is None
    fired = check_dockerfile(bad, settings, files=r.doc_files, rules=[rid])
    assert fired, f"{rid} does not fire on its Example"
    clean = check_dockerfile(good, settings, files=r.doc_files, rules=[rid])
    assert not clean, f"{rid} fires on its 'Use instead': {[f.message for f in clean]}"


def test_off_by_default_rules_stay_off() -> None:
    r = RULES["DL3057"]
    df = parse(doc_example(doc_sections(r.doc)["Example"]))
    assert not check_dockerfile(df, rules=["DL3057"])


def test_rules_md_up_to_date() -> None:
    from dockline.dockerfile.registry import rules_markdown

    path = REPO / "docs" / "rules.md"
    assert path.is_file(), "docs/rules.md missing: run `dockline lint --docs > docs/rules.md`"
    assert path.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `dockline lint --docs > docs/rules.md`")
