"""The real-world corpus: every file parses or is cleanly rejected, with sound positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockline.dockerfile.model import Dockerfile, Instruction
from dockline.dockerfile.parser import dump, parse
from dockline.dockerfile.semantic import stage_scopes
from dockline.errors import DockerfileSyntaxError

CORPUS = Path("/work/shared/corpus/dockerfiles")
if not CORPUS.is_dir():  # a checkout elsewhere: the corpus lives beside the repository
    CORPUS = Path(__file__).resolve().parents[3].parent / "shared/corpus/dockerfiles"
FILES = sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.tsv") if CORPUS.is_dir() else []


def check_instruction(df: Dockerfile, ins: Instruction) -> None:
    nlines = len(df.lines)
    assert 1 <= ins.pos.line <= ins.end_line <= nlines
    line = df.lines[ins.pos.line - 1]
    assert 1 <= ins.pos.column <= len(line)
    assert ins.keyword == "" or line[ins.pos.column - 1] == ins.keyword_raw[0]
    assert ins.keyword == ins.keyword_raw.upper()
    assert ins.start_line <= ins.pos.line
    assert ins.original == "\n".join(df.lines[ins.start_line - 1 : ins.end_line])
    for flag in ins.flags:
        fline = df.lines[flag.pos.line - 1]
        assert fline[flag.pos.column - 1 :].startswith("--") or flag.raw == flag.word
    for doc in ins.heredocs:
        assert ins.pos.line <= doc.pos.line and doc.end_line <= ins.end_line
        assert (
            df.lines[doc.pos.line - 1][doc.pos.column - 1 :].lstrip("0123456789").startswith("<<")
        )
        assert doc.content == "" or doc.content.endswith("\n")
    if ins.sub is not None:
        check_instruction(df, ins.sub)


def check_dockerfile(df: Dockerfile) -> None:
    """Invariants every parse result keeps (also used by the fuzz test)."""
    assert df.instructions
    previous_end = 0
    for ins in df.instructions:
        assert ins.start_line > previous_end
        previous_end = ins.end_line
        check_instruction(df, ins)
    for comment in df.comments:
        assert df.lines[comment.pos.line - 1][comment.pos.column - 1] == "#"
    assert sum(len(s.instructions) + 1 for s in df.stages) + len(df.global_args) <= len(
        df.instructions
    )
    for stage in df.stages:
        assert len(stage_scopes(df, stage.index)) == len(stage.instructions)
        assert stage.parent is None or stage.parent < stage.index
    dump(df)


def test_corpus_is_there() -> None:
    assert len(FILES) == 430


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_parses_or_is_rejected_cleanly(path: Path) -> None:
    try:
        df = parse(path.read_bytes(), str(path))
    except DockerfileSyntaxError as exc:
        assert exc.line is not None
        return
    check_dockerfile(df)
