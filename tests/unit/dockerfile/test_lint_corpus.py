"""Lint every corpus Dockerfile (real files from public image repositories): fail only
on crashes.  Templates may be rejected as bad input; nothing may raise."""

from __future__ import annotations

import os
from pathlib import Path

from dockline.dockerfile.fixes import fix_text
from dockline.dockerfile.lint import lint_bytes


def corpus_dir() -> Path:
    env = os.environ.get("DOCKLINE_CORPUS")
    base = Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
    return base / "dockerfiles" if (base / "dockerfiles").is_dir() else base


def test_corpus_lints_without_crashing() -> None:
    d = corpus_dir()
    assert d.is_dir(), f"corpus not found at {d}; set DOCKLINE_CORPUS"
    files = sorted(p for p in d.iterdir() if p.is_file() and not p.name.endswith((".tsv", ".md")))
    assert len(files) > 100
    checked = rejected = findings = 0
    for f in files:
        r = lint_bytes(f.read_bytes(), str(f))  # must not raise
        if r.error is None:
            checked += 1
            findings += len(r.findings)
            assert all(x.line >= 1 and x.column >= 1 for x in r.findings)
        else:
            rejected += 1
            assert r.error.strip()
    assert checked > 0.9 * len(files) - 40  # ~30 are jq/bashbrew templates
    assert findings > 0


def test_corpus_fixes_settle_and_parse() -> None:
    """--fix on real files: fixes settle (fix_text raises otherwise) and keep the file parseable."""
    d = corpus_dir()
    files = sorted(p for p in d.iterdir() if p.is_file() and not p.name.endswith((".tsv", ".md", ".template")))
    for f in files[::5]:
        r = lint_bytes(f.read_bytes(), str(f))
        if r.error is None:
            fix_text(f.read_bytes().decode("utf-8-sig"), str(f), unsafe=True)
