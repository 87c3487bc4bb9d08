"""The 20 probe cases of lint-reference §4.1 (all valid for BuildKit), one test each."""

from __future__ import annotations

from dockline.dockerfile.model import Dockerfile
from dockline.dockerfile.parser import parse
from dockline.dockerfile.semantic import expand


def kws(df: Dockerfile) -> list[str]:
    return [i.keyword for i in df.instructions]


def test_01_heredoc_then_cmd() -> None:
    df = parse('FROM alpine\nRUN <<EOF\napk add --no-cache curl\necho done\nEOF\nCMD ["sh"]\n')
    assert kws(df) == ["FROM", "RUN", "CMD"]
    assert df.instructions[1].heredocs[0].content == "apk add --no-cache curl\necho done\n"


def test_02_copy_heredocs() -> None:
    df = parse(
        'FROM a\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\nCOPY <<-"EOT" /s.sh\n\techo $X\n\tEOT\nRUN x\n'
    )
    assert kws(df) == ["FROM", "COPY", "COPY", "RUN"]
    assert df.instructions[2].heredocs[0].expand is False


def test_03_two_heredocs_in_one_run() -> None:
    df = parse("FROM a\nRUN <<A cat >a && <<B cat >b\n1\nA\n2\nB\nRUN y\n")
    assert [h.name for h in df.instructions[1].heredocs] == ["A", "B"]
    assert kws(df) == ["FROM", "RUN", "RUN"]


def test_04_comment_inside_continuation() -> None:
    assert parse("FROM a\nRUN echo hello \\\n# comment\nworld\n").instructions[1].args == (
        "echo hello world",
    )


def test_05_empty_line_inside_continuation() -> None:
    df = parse("FROM a\nRUN apt-get update \\\n\n    && apt-get install -y x\nCMD y\n")
    assert kws(df) == ["FROM", "RUN", "CMD"]
    assert df.instructions[1].args == ("apt-get update     && apt-get install -y x",)


def test_06_backtick_escape() -> None:
    df = parse(
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN powershell `\n    Get-Item C:\\\n"
    )
    assert df.escape == "`" and df.instructions[1].args == ("powershell     Get-Item C:\\",)


def test_07_trailing_escaped_backslash_is_not_a_continuation() -> None:
    df = parse("FROM a\nENV MONGO C:\\\\mongodb\\\\\nRUN next\n")
    assert kws(df) == ["FROM", "ENV", "RUN"]


def test_08_onbuild() -> None:
    sub = parse("FROM a\nONBUILD COPY . /app\n").instructions[1].sub
    assert sub is not None and sub.keyword == "COPY" and sub.args == (".", "/app")


def test_09_single_quoted_array_is_shell_form() -> None:
    cmd = parse("FROM a\nCMD ['a', 'b']\n").instructions[1]
    assert not cmd.json_form and cmd.args == ("['a', 'b']",)


def test_10_mounts_without_target_in_any_order() -> None:
    run = parse(
        "FROM a\nRUN --mount=type=bind,from=builder,source=/out --mount=env=TOKEN,type=secret,id=t \\\n"
        "    --mount=target=/c,type=cache,sharing=locked make\n"
    ).instructions[1]
    assert [f.value for f in run.flags_named("mount")] == [
        "type=bind,from=builder,source=/out",
        "env=TOKEN,type=secret,id=t",
        "target=/c,type=cache,sharing=locked",
    ]
    assert run.args == ("make",)


def test_11_arg_base_platform_and_copy_flags() -> None:
    df = parse(
        "ARG BASE=golang:1.22\nFROM --platform=$BUILDPLATFORM ${BASE} AS build\nRUN go build\n"
        "FROM scratch\nCOPY --from=build --chown=app:app --chmod=0755 /out /app\n"
    )
    assert df.stages[0].base_expanded == "golang:1.22" and df.stages[0].platform == "$BUILDPLATFORM"
    copy = df.stages[1].instructions[0]
    assert [(f.name, f.value) for f in copy.flags] == [
        ("from", "build"),
        ("chown", "app:app"),
        ("chmod", "0755"),
    ]


def test_12_pattern_expansions() -> None:
    env = {"VER": "1.2.3-rc1-x"}
    assert [
        expand(w, env)
        for w in ("${VER%%-*}", "${VER#*-}", "${VER:-x}", "${VER:+set}", "${VER/rc/RC}")
    ] == [
        "1.2.3",
        "rc1-x",
        "1.2.3-rc1-x",
        "set",
        "1.2.3-RC1-x",
    ]


def test_13_syntax_and_check_directives() -> None:
    df = parse("# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\nFROM a\n")
    assert df.directives == {"syntax": "docker/dockerfile:1.7", "check": "skip=JSONArgsRecommended"}


def test_14_copy_and_add_flags() -> None:
    df = parse(
        "FROM a\nCOPY --parents --exclude=*.md --exclude=tmp ./src/ /app/\n"
        "ADD --checksum=sha256:abc https://x/y.tgz /y.tgz\nADD --keep-git-dir=true https://g/r.git /r\n"
    )
    copy, add1, add2 = df.instructions[1:]
    assert [f.name for f in copy.flags] == ["parents", "exclude", "exclude"]
    assert add1.flag("checksum") is not None and add2.flag("keep-git-dir") is not None
    assert add1.args == ("https://x/y.tgz", "/y.tgz")


def test_15_healthcheck_start_interval() -> None:
    hc = parse(
        "FROM a\nHEALTHCHECK --start-period=30s --start-interval=5s CMD curl -f http://localhost/\n"
    ).instructions[1]
    assert [f.name for f in hc.flags] == ["start-period", "start-interval"]
    assert hc.args == ("CMD", "curl -f http://localhost/")


def test_16_legacy_env_and_multiline_label() -> None:
    df = parse('FROM a\nENV FOO bar baz\nLABEL a="1" \\\n      b="2 3"\n')
    assert df.instructions[1].key_values == (("FOO", "bar baz"),)
    assert df.instructions[2].key_values == (("a", "1"), ("b", "2 3"))


def test_17_lowercase_instructions() -> None:
    df = parse("from alpine as Builder\nrun echo hi\n")
    assert kws(df) == ["FROM", "RUN"] and df.stages[0].name == "builder"


def test_18_continuation_at_eof() -> None:
    df = parse("FROM a\nRUN echo hi \\")
    assert kws(df) == ["FROM", "RUN"] and df.instructions[1].args == ("echo hi",)


def test_19_bom_and_crlf() -> None:
    df = parse(b"\xef\xbb\xbfFROM a\r\nRUN x\r\n")
    assert kws(df) == ["FROM", "RUN"] and df.instructions[1].args == ("x",)


def test_20_heredoc_after_continuation() -> None:
    df = parse("FROM a\nRUN a && \\\n    cat <<EOF >/f && \\\n    b\nhello\nEOF\nCMD c\n")
    assert kws(df) == ["FROM", "RUN", "CMD"]
    assert df.instructions[1].heredocs[0].content == "hello\n"
