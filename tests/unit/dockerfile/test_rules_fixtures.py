"""Tricky cases per rule: tests/rules/<ID>/bad*.Dockerfile fire <ID>, good*.Dockerfile do not.

Each bad file has a snapshot ``bad*.findings`` (``line:col ID message`` per finding of
that rule); regenerate on purpose with ``DOCKLINE_UPDATE_SNAPSHOTS=1 pytest ...``.
The fixture's directory is the build context (for the ENTRYPOINT-script rule).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockline.dockerfile.check import RuleSettings, check_dockerfile
from dockline.dockerfile.findings import Severity
from dockline.dockerfile.inputs import context_files
from dockline.dockerfile.parser import parse
from dockline.dockerfile.registry import registry

FIXTURES = Path(__file__).resolve().parents[2] / "rules"
CASES = sorted(FIXTURES.glob("*/*.Dockerfile"))


def _findings(path: Path) -> list[str]:
    rid = path.parent.name
    df = parse(path.read_bytes(), path.name)
    settings = RuleSettings(overrides={rid: Severity.WARNING})
    found = check_dockerfile(df, settings, files=context_files(df, path.parent), rules=[rid])
    return [f"{f.line}:{f.column} {f.rule} {f.message}" for f in found]


def test_fixture_dirs_name_rules() -> None:
    assert CASES, "no rule fixtures found"
    rules = registry()
    for d in {c.parent for c in CASES}:
        assert d.name in rules, f"tests/rules/{d.name}: no such rule"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    got = _findings(path)
    if path.name.startswith("good"):
        assert got == [], f"{path.parent.name} fires on {path.name}: {got}"
        return
    assert got, f"{path.parent.name} does not fire on {path.name}"
    snap = path.with_suffix(".findings")
    text = "\n".join(got) + "\n"
    if os.environ.get("DOCKLINE_UPDATE_SNAPSHOTS") == "1" or not snap.exists():
        snap.write_text(text, encoding="utf-8")
    assert snap.read_text(encoding="utf-8") == text, f"snapshot {snap.name} differs"
