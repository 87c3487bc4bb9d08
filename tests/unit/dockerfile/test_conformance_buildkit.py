"""BuildKit's own parser fixtures: every positive one dumps to its expected AST."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockline.dockerfile.parser import dump, parse
from dockline.errors import DockerfileSyntaxError

FIXTURES = Path("/work/shared/corpus/buildkit-parser")
if not FIXTURES.is_dir():  # a checkout elsewhere: the corpus lives beside the repository
    FIXTURES = Path(__file__).resolve().parents[3].parent / "shared/corpus/buildkit-parser"

POSITIVE = sorted(p for p in FIXTURES.glob("testfiles__*.Dockerfile"))
NEGATIVE = sorted(p for p in FIXTURES.glob("testfiles-negative__*.Dockerfile"))


def test_fixture_counts() -> None:
    # 33 positive fixtures with a result, 4 negative ones (a silent glob miss would pass)
    assert len(POSITIVE) == 33
    assert len(NEGATIVE) == 4


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.name.split("__", 1)[1])
def test_positive_fixture_dumps_like_buildkit(path: Path) -> None:
    expected = path.with_suffix(".result").read_text(encoding="utf-8")
    df = parse(path.read_bytes(), str(path))
    assert dump(df).rstrip("\n") == expected.rstrip("\n")


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name.split("__", 1)[1])
def test_negative_fixture_is_rejected_with_a_position(path: Path) -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse(path.read_bytes(), str(path))
    assert info.value.line is not None and info.value.line >= 1
    assert info.value.path == str(path)


def test_negative_messages_are_buildkits() -> None:
    def message(name: str) -> str:
        with pytest.raises(DockerfileSyntaxError) as info:
            parse((FIXTURES / f"testfiles-negative__{name}.Dockerfile").read_bytes())
        return info.value.raw_message

    assert message("empty_dockerfile") == "file with no instructions"
    assert message("only_comments") == "file with no instructions"
    assert message("env_no_value") == "ENV must have two arguments"
    assert "comprised of strings only" in message("shykes-nested-json")


def test_line_information_fixture() -> None:
    # BuildKit's TestLineInformation: instructions span 5-5, 11-12 and 17-31
    df = parse((FIXTURES / "testfile-line.Dockerfile").read_bytes())
    assert [(i.pos.line, i.end_line) for i in df.instructions] == [(5, 5), (11, 12), (17, 31)]
    assert [i.keyword for i in df.instructions] == ["FROM", "ENV", "RUN"]
