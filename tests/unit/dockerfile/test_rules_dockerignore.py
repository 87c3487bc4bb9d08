""".dockerignore matching (DKL021): Go filepath.Match patterns, `**`, `!` exceptions,
parent directories, last match wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockline.dockerfile.inputs import context_files
from dockline.dockerfile.parser import parse
from dockline.dockerfile.rules.copying import is_ignored, parse_dockerignore

RULES = parse_dockerignore(
    "# comment\nnode_modules\n**/*.log\n!keep.log\n/build/\ndocs/**/*.md\n*.pem\n./tmp/../cache\nfile?.txt\n[ab].cfg\n"
)


@pytest.mark.parametrize("path,ignored", [
    ("node_modules", True), ("node_modules/x/y", True), ("./node_modules/", True), ("src/node_modules", False),
    ("a/b/c.log", True), ("c.log", True), ("keep.log", False),
    ("build/out", True), ("docs/a/b.md", True), ("docs/x.md", True), ("docsx/y.md", False),
    ("x.pem", True), ("d/x.pem", False), ("cache/a", True), ("tmp", False),
    ("file1.txt", True), ("file10.txt", False), ("a.cfg", True), ("c.cfg", False), ("src/app.py", False),
])
def test_patterns(path: str, ignored: bool) -> None:
    assert is_ignored(path, RULES) is ignored


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("a\n")
    df_path = tmp_path / "api.Dockerfile"
    df_path.write_text("FROM debian:12\nCOPY a /a\n")
    df = parse(df_path.read_text(), str(df_path))
    assert context_files(df, tmp_path)[".dockerignore"] == "a\n"
    (tmp_path / "api.Dockerfile.dockerignore").write_text("b\n")
    assert context_files(df, tmp_path)[".dockerignore"] == "b\n"
