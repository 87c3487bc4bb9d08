"""Fuzz the parser with mutated corpus files: a result or a DockerfileSyntaxError, nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockline.dockerfile.parser import parse
from dockline.dockerfile.semantic import ExpansionError, expand
from dockline.errors import DockerfileSyntaxError

try:  # the shared invariants live beside this file
    from test_conformance_corpus import CORPUS, check_dockerfile
except ImportError:  # pytest --import-mode=importlib does not put this directory on sys.path
    sys.path.insert(0, str(Path(__file__).parent))
    from test_conformance_corpus import CORPUS, check_dockerfile

FIXTURES = CORPUS.parent / "buildkit-parser"
SEEDS = sorted(p for p in FIXTURES.glob("*.Dockerfile")) + sorted(CORPUS.glob("*"))[::15]
SEED_TEXTS = [p.read_bytes() for p in SEEDS if p.name != "MANIFEST.tsv"]

# pieces that matter to the grammar
TOKENS = [
    "\\", "`", "\\\n", "`\n", "\n", "\r\n", "\r", " ", "\t", "#", "# escape=`\n", "# syntax=x\n",
    '"', "'", "$", "${", "}", "${A:-", "${A#", "${A/", "[", "]", '["a", ', "1]", ",", "=",
    "--", "--mount=type=cache,target=/x ", "<<EOF", "<<-'EOF'", "EOF", "\tEOF", "3<<X",
    "RUN ", "FROM ", "ONBUILD ", "ENV ", "ARG ", "LABEL ", "COPY ", "HEALTHCHECK CMD ", "AS ",
    "\ufeff", "é", "\x00", "\u2028", "\xa0", "\x1c",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_TEXTS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "bytes"]))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS)).encode("utf-8")
        elif op == "delete":
            data[at : at + draw(st.integers(1, 40))] = b""
        elif op == "replace":
            data[at : at + draw(st.integers(1, 8))] = draw(st.sampled_from(TOKENS)).encode("utf-8")
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_files_parse_or_fail_cleanly(data: bytes) -> None:
    try:
        df = parse(data, "fuzz/Dockerfile")
    except DockerfileSyntaxError as exc:
        assert exc.path == "fuzz/Dockerfile"
        return
    check_dockerfile(df)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(TOKENS + list("abcRUNFROM ")), max_size=40).map(
        lambda p: "FROM a\n" + "".join(p)
    )
)
def test_token_soup_parses_or_fails_cleanly(text: str) -> None:
    try:
        df = parse(text)
    except DockerfileSyntaxError:
        return
    check_dockerfile(df)


def test_seed_paths_exist() -> None:
    assert len(SEED_TEXTS) > 40
    assert all(isinstance(p, Path) for p in SEEDS)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="${}:-+?#%/\\'\"ab*? \t`", max_size=30))
def test_expansion_returns_or_raises_expansion_error(word: str) -> None:
    env = {"a": "a*b?a", "b": ""}
    for escape in ("\\", "`"):
        try:
            expand(word, env, escape)
        except ExpansionError:
            pass
