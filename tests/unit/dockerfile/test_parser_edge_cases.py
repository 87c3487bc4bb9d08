"""Edge cases of the parser's BuildKit emulation (word splitting, flags, JSON, dump)."""

from __future__ import annotations

import pytest

from dockline.dockerfile import parser
from dockline.dockerfile.model import Position
from dockline.dockerfile.parser import dump, parse, parse_words
from dockline.errors import DockerfileSyntaxError


def last_args(text: str) -> tuple[str, ...]:
    return parse("FROM a\n" + text + "\n").instructions[-1].args


def test_json_number_and_lone_surrogate() -> None:
    with pytest.raises(DockerfileSyntaxError):
        parse('FROM a\nCMD ["a", 1.5]\n')
    assert last_args('CMD ["\\ud800x"]') == ("\ufffdx",)


@pytest.mark.parametrize(
    ("rest", "escape", "words"),
    [
        ("a=b\\", "\\", ["a=b"]),  # escape at the end is skipped
        ('a="b\\', "\\", ['a="b']),  # ... also inside a quote
        ("a='b\\' c", "\\", ["a='b\\'", "c"]),  # no escaping inside single quotes
        ('a="b\\" c"', "\\", ['a="b\\" c"']),
        ("a=b\\ c d", "\\", ["a=b\\ c", "d"]),
        ("a=b` c d", "`", ["a=b` c", "d"]),
        ("  a   b  ", "\\", ["a", "b"]),
        ('a=""', "\\", ['a=""']),
        ("", "\\", []),
    ],
)
def test_parse_words(rest: str, escape: str, words: list[str]) -> None:
    assert parse_words(rest, escape) == words


@pytest.mark.parametrize(
    ("line", "args_at", "flags"),
    [
        ("--a=1 --b x", 10, ["--a=1", "--b"]),
        ('--chown="a b" x', 14, ["--chown=a b"]),
        ('--x="a\\"b" y', 11, ['--x=a"b']),
        ("--x=a\\ b y", 9, ["--x=a b"]),
        ("--x=a\\", 6, ["--x=a"]),
        ('--x="a\\', 7, ["--x=a"]),
        ("--a  ", 5, ["--a"]),
        ("--", 2, []),
        ("-- x", 2, []),
        ("-x", 0, []),
        ('--=""', 5, ["--="]),
    ],
)
def test_extract_flags(line: str, args_at: int, flags: list[str]) -> None:
    at, got = parser._extract_flags(line)
    assert at == args_at
    assert [w for w, _s, _e in got] == flags


@pytest.mark.parametrize(
    "keyword", ["COPY", "RUN", "FROM", "USER", "ENV", "ARG", "HEALTHCHECK", "CMD"]
)
def test_instructions_without_arguments(keyword: str) -> None:
    ins = parse(f"FROM a\n{keyword}\n").instructions[-1]
    assert ins.args == () and ins.key_values == ()


def test_flag_split_by_a_continuation_keeps_the_word() -> None:
    ins = parse("FROM a\nCOPY --chown=a\\\n:b x y\n").instructions[1]
    assert ins.flags[0].word == "--chown=a:b"
    assert ins.flags[0].raw == "--chown=a:b"
    assert ins.flags[0].pos == Position(2, 6)


def test_heredoc_delimiter_that_the_line_lexer_split_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse("FROM a\nRUN cat <<${X:-a b}\n")
    assert info.value.line == 2


def test_empty_heredoc_delimiter_is_no_heredoc() -> None:
    run = parse('FROM a\nRUN cat <<""\n').instructions[1]
    assert run.heredocs == ()


def test_heredoc_marker_needs_a_word_start() -> None:
    run = parse("FROM a\nRUN cat<<EOF\n").instructions[1]
    assert run.heredocs == ()


def test_go_quoting_in_dump() -> None:
    df = parse('FROM a\nCMD ["\\u007f\\u0085\\udb40\\udc01\\u00e9\\u0007"]\n')
    assert dump(df).splitlines()[1] == '(cmd "\\x7f\\u0085\\U000e0001é\\a")'


def test_dump_of_empty_onbuild_and_flags() -> None:
    df = parse("FROM a\nONBUILD\nONBUILD COPY --from=b x y\nENV a=1\nLABEL k v\n")
    assert dump(df).splitlines()[1:] == [
        "(onbuild)",
        '(onbuild (copy ["--from=b"] "x" "y"))',
        '(env "a" "1" "=")',
        '(label "k" "v" "")',
    ]


def test_position_str() -> None:
    assert str(Position(3, 7)) == "3:7"
