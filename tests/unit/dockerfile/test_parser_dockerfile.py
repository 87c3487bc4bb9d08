"""The Dockerfile parser: corner cases of lint-reference §4 and its 20 probes (§4.1)."""

from __future__ import annotations

import pytest

from dockline.dockerfile.model import Dockerfile, Instruction, Position
from dockline.dockerfile.parser import dump, parse
from dockline.errors import DockerfileSyntaxError


def kw(df: Dockerfile) -> list[str]:
    return [i.keyword for i in df.instructions]


def one(text: str | bytes, index: int = -1) -> Instruction:
    return parse(text).instructions[index]


# --- parser directives (§4.1) ------------------------------------------------------


def test_directives_are_read_at_the_top() -> None:
    df = parse(
        "# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended;error=true\nFROM a\n"
    )
    assert df.directives == {
        "syntax": "docker/dockerfile:1",
        "check": "skip=JSONArgsRecommended;error=true",
    }
    assert df.directive_positions["check"] == Position(2, 1)
    assert df.escape == "\\"


def test_directive_keys_are_case_insensitive_and_spacing_is_free() -> None:
    df = parse("#  ESCAPE = `\nFROM a\nRUN a `\n b\n")
    assert df.directives == {"escape": "`"}
    assert df.instructions[1].args == ("a  b",)


def test_directive_after_a_comment_is_only_a_comment() -> None:
    df = parse("# hello\n# escape=`\nFROM a\nRUN a \\\n b\n")
    assert df.directives == {}
    assert df.escape == "\\"
    assert df.instructions[1].args == ("a  b",)


def test_directive_after_a_blank_line_or_instruction_is_ignored() -> None:
    assert parse("\n# escape=`\nFROM a\n").directives == {}
    assert parse("FROM a\n# escape=`\nRUN x\n").directives == {}


def test_unknown_directive_ends_directive_parsing() -> None:
    df = parse("# foo=bar\n# escape=`\nFROM a\n")
    assert df.directives == {}


def test_repeated_directive_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse("# escape=`\n# escape=\\\nFROM a\n", path="Dockerfile")
    assert info.value.line == 2
    assert "only one escape parser directive" in info.value.message


def test_invalid_escape_token_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse("# escape=x\nFROM a\n")
    assert info.value.line == 1
    assert "invalid escape token" in info.value.message


def test_directive_comments_are_comments_too() -> None:
    df = parse("# syntax=x\nFROM a\n")
    assert [(c.pos, c.text) for c in df.comments] == [(Position(1, 1), "syntax=x")]


# --- escape token and continuations (§4.2-4.5) ----------------------------------------


def test_backtick_escape_continuation() -> None:
    df = parse("# escape=`\nFROM mcr/windows\nRUN dir `\n    c:\\\nRUN echo done\n")
    assert kw(df) == ["FROM", "RUN", "RUN"]
    assert df.instructions[1].args == ("dir     c:\\",)
    assert df.instructions[1].end_line == 4


def test_trailing_escaped_escape_is_not_a_continuation() -> None:
    df = parse("FROM a\nENV C trailing\\\\backslash\\\\\nENV D next\n")
    assert kw(df) == ["FROM", "ENV", "ENV"]
    assert df.instructions[1].end_line == 2


def test_trailing_whitespace_after_the_escape_still_continues() -> None:
    assert one("FROM a\nRUN echo a \\  \t\n b\n").args == ("echo a  b",)


def test_lone_escape_line_continues() -> None:
    assert one("FROM a\nENV E hello\\\n\\\nworld\n").key_values == (("E", "helloworld"),)


def test_comments_inside_a_continuation_are_dropped_but_recorded() -> None:
    df = parse("FROM a\nRUN echo hello \\\n# comment \\\n    # indented\n  world\n")
    assert df.instructions[1].args == ("echo hello   world",)
    assert df.instructions[1].end_line == 5
    assert [(c.pos, c.text) for c in df.comments] == [
        (Position(3, 1), "comment \\"),
        (Position(4, 5), "indented"),
    ]


def test_blank_lines_inside_a_continuation_are_skipped_and_reported() -> None:
    ins = one("FROM a\nRUN echo a \\\n\n   \n  b\n")
    assert ins.args == ("echo a   b",)
    assert ins.empty_continuation_lines == (3, 4)
    assert ins.end_line == 5


def test_comment_does_not_continue() -> None:
    df = parse("FROM a\n# comment \\\nRUN x\n")
    assert kw(df) == ["FROM", "RUN"]


def test_continuation_at_eof() -> None:
    ins = one("FROM a\nRUN echo \\\n")
    assert ins.args == ("echo",) and ins.end_line == 2
    ins = one("FROM a\nRUN echo \\")
    assert ins.args == ("echo",)


def test_leading_whitespace_is_ignored() -> None:
    ins = one("FROM a\n   \tRUN   echo  a\n")
    assert ins.pos == Position(2, 5)
    assert ins.args == ("echo  a",)
    assert ins.arg_pos == Position(2, 11)


def test_bom_and_crlf() -> None:
    df = parse(b"\xef\xbb\xbfFROM a\r\nRUN echo \\\r\n  b\r\n")
    assert kw(df) == ["FROM", "RUN"]
    assert df.instructions[1].args == ("echo   b",)
    assert df.lines == ("FROM a", "RUN echo \\", "  b")
    assert df.instructions[0].original == "FROM a"
    assert not df.text.startswith("\ufeff")


def test_bom_in_str_input_is_removed() -> None:
    assert kw(parse("\ufeffFROM a\n")) == ["FROM"]


def test_original_covers_every_physical_line() -> None:
    ins = one("FROM a\nRUN a \\\n# c\n  b\n")
    assert ins.original == "RUN a \\\n# c\n  b"


# --- JSON vs shell form (§4.6) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "args", "is_json"),
    [
        ('CMD ["a", "b"]', ("a", "b"), True),
        ("CMD []", (), True),
        ("CMD ['a']", ("['a']",), False),
        ('CMD ["a", "b"', ('["a", "b"',), False),
        ('CMD ["a" "b"]', ('["a" "b"]',), False),
        ('CMD ["a"] trailing', ("a",), True),  # Go's json.Decoder reads one value
        ("CMD [NaN]", ("[NaN]",), False),
        ("CMD [1e999]", ("[1e999]",), False),
        ('CMD ["\\u00e9\\n"]', ("é\n",), True),
        ("CMD echo [x]", ("echo [x]",), False),
    ],
)
def test_exec_and_shell_form(line: str, args: tuple[str, ...], is_json: bool) -> None:
    ins = one("FROM a\n" + line + "\n")
    assert ins.args == args
    assert ins.json_form is is_json


def test_json_array_with_a_non_string_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse('FROM a\nCMD ["a", 1]\n')
    assert info.value.line == 2


def test_copy_and_volume_split_words_or_take_json() -> None:
    assert one('FROM a\nCOPY ["a b", "/dst/"]\n').args == ("a b", "/dst/")
    assert one("FROM a\nCOPY a  b\t/dst/\n").args == ("a", "b", "/dst/")
    assert one("FROM a\nVOLUME /a /b\n").args == ("/a", "/b")


def test_shell_needs_json_but_parses_either_way() -> None:
    ins = one('FROM a\nSHELL ["powershell", "-Command"]\n')
    assert ins.json_form and ins.args == ("powershell", "-Command")


# --- heredocs (§4.7) -------------------------------------------------------------------


def test_heredoc_then_next_instruction() -> None:
    df = parse('FROM alpine\nRUN <<EOF\napk add curl\nEOF\nCMD ["x"]\n')
    assert kw(df) == ["FROM", "RUN", "CMD"]
    run = df.instructions[1]
    assert run.end_line == 4
    (doc,) = run.heredocs
    assert (doc.name, doc.content, doc.expand, doc.chomp) == ("EOF", "apk add curl\n", True, False)
    assert doc.pos == Position(2, 5)
    assert (doc.body_start_line, doc.end_line) == (3, 4)


def test_copy_heredoc_and_quoted_chomped_delimiter() -> None:
    df = parse('FROM a\nCOPY <<EOF /etc/x\nk=v\nEOF\nCOPY <<-"EOT" /y\n\techo $HOME\n\tEOT\n')
    first, second = df.instructions[1], df.instructions[2]
    assert first.args == ("<<EOF", "/etc/x")
    assert first.heredocs[0].content == "k=v\n"
    doc = second.heredocs[0]
    assert (doc.name, doc.content, doc.expand, doc.chomp) == ("EOT", "echo $HOME\n", False, True)
    assert second.end_line == 7


def test_two_heredocs_in_one_run() -> None:
    text = "FROM a\nRUN <<FILE1 cat > file1 && <<FILE2 cat > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2\n"
    run = one(text)
    assert [(h.name, h.content) for h in run.heredocs] == [
        ("FILE1", "I am\nfirst\n"),
        ("FILE2", "I am\nsecond\n"),
    ]
    assert [h.pos for h in run.heredocs] == [Position(2, 5), Position(2, 28)]
    assert run.end_line == 8


def test_heredoc_variants_like_buildkit() -> None:
    text = (
        "FROM a\n"
        "RUN <<EMPTY\nEMPTY\n"
        "RUN 3<<EMPTY2\nEMPTY2\n"
        'RUN "<<NOHEREDOC"\n'
        "RUN <<INDENT\n\tfoo\n\tbar\nINDENT\n"
        "RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n"
        "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n"
        "RUN <<COMMENT\n# internal comment\necho a # trailing\nCOMMENT\n"
        "RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n"
        "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
        "USER <<INVALID\nINVALID\n"
        'RUN ["<<EOF"]\n'
    )
    df = parse(text)
    got = [
        [(h.name, h.content, h.expand, h.chomp) for h in i.heredocs] for i in df.instructions[1:]
    ]
    assert got == [
        [("EMPTY", "", True, False)],
        [("EMPTY2", "", True, False)],
        [],
        [("INDENT", "\tfoo\n\tbar\n", True, False)],
        [("UNINDENT2", "baz\nquux\n", True, True)],
        [("NOEXPAND", "don't expand $NAME\n", False, True)],
        [("COMMENT", "# internal comment\necho a # trailing\n", True, False)],
        [("MOUNT", "echo hello\n", True, False)],
        [("X", "Y\n", True, False), ("Y", "X\n", True, False)],
        [],
        [],  # USER takes no heredoc: INVALID is its own (unknown) instruction
        [],
    ]
    assert df.instructions[-2].keyword == "INVALID" and not df.instructions[-2].known


def test_heredoc_after_a_continuation() -> None:
    text = "FROM a\nRUN apk add bash && \\\n    cat <<EOF >/x && \\\n    echo done\nhello\nEOF\nCMD x\n"
    df = parse(text)
    run = df.instructions[1]
    assert run.heredocs[0].content == "hello\n"
    assert run.heredocs[0].pos == Position(3, 9)
    assert run.end_line == 6
    assert kw(df) == ["FROM", "RUN", "CMD"]


def test_heredoc_body_is_not_comment_stripped_nor_joined() -> None:
    run = one("FROM a\nRUN <<EOF\n# keep \\\nx\nEOF\n")
    assert run.heredocs[0].content == "# keep \\\nx\n"


def test_onbuild_heredoc_belongs_to_the_inner_instruction() -> None:
    ins = one("FROM a\nONBUILD RUN <<EOF\necho\nEOF\n")
    assert ins.sub is not None and ins.sub.heredocs[0].content == "echo\n"
    assert ins.end_line == 4


def test_unterminated_heredoc_is_a_positioned_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse("FROM a\nRUN <<EOF\necho\n", path="Dockerfile")
    err = info.value
    assert (err.line, err.column) == (2, 5)
    assert "unterminated heredoc" in err.message
    assert str(err).startswith("Dockerfile:2:5: ")


def test_heredoc_with_crlf_terminator() -> None:
    run = one(b"FROM a\r\nRUN <<EOF\r\nx\r\nEOF\r\nCMD y\r\n", -2)
    assert run.heredocs[0].content == "x\n"


# --- ONBUILD (§4.8) ----------------------------------------------------------------------


def test_onbuild_wraps_an_instruction() -> None:
    ins = one("FROM a\nONBUILD COPY --from=b x y\n")
    assert ins.keyword == "ONBUILD"
    assert ins.sub is not None
    assert ins.sub.keyword == "COPY" and ins.sub.args == ("x", "y")
    assert ins.sub.pos == Position(2, 9)
    assert ins.sub.flag("from") is not None and ins.sub.flags[0].pos == Position(2, 14)


def test_onbuild_alone_has_no_sub() -> None:
    assert one("FROM a\nONBUILD\n").sub is None


# --- flags (§4.12-4.14) ---------------------------------------------------------------------


def test_mount_flags_any_order_and_positions() -> None:
    ins = one(
        "FROM a\nRUN --mount=type=bind,source=.,from=b --mount=env=TOKEN,id=t,type=secret echo\n"
    )
    assert [(f.name, f.value, f.pos) for f in ins.flags] == [
        ("mount", "type=bind,source=.,from=b", Position(2, 5)),
        ("mount", "env=TOKEN,id=t,type=secret", Position(2, 39)),
    ]
    assert len(ins.flags_named("mount")) == 2
    assert ins.args == ("echo",)
    assert ins.arg_pos == Position(2, 74)


def test_copy_flags_raw_and_bare() -> None:
    ins = one(
        'FROM a\nCOPY --link --chown="usgs-user:usgs-user" --chmod=0755 --parents --exclude=*.md a /b/\n'
    )
    assert [(f.name, f.value) for f in ins.flags] == [
        ("link", None),
        ("chown", "usgs-user:usgs-user"),
        ("chmod", "0755"),
        ("parents", None),
        ("exclude", "*.md"),
    ]
    assert ins.flag("chown") is not None
    assert ins.flags[1].raw == '--chown="usgs-user:usgs-user"'
    assert ins.flag("nope") is None
    assert ins.args == ("a", "/b/")


def test_flags_on_any_instruction_and_the_double_dash() -> None:
    ins = one('FROM a\nCMD --doit=true -- [ "a", "b" ]\n')
    assert [f.name for f in ins.flags] == ["doit"] and ins.args == ("a", "b") and ins.json_form
    assert one("FROM a\nCOPY -- foo /tmp/\n").flags == ()


def test_flag_names_are_lower_cased() -> None:
    assert one("FROM --PLATFORM=linux/amd64 a\n", 0).flags[0].name == "platform"


def test_healthcheck_forms() -> None:
    df = parse(
        "FROM a\nHEALTHCHECK --interval=5s --timeout=3s --start-interval=1s --retries=3 \\\n"
        '  CMD /app/check.sh --quiet\nHEALTHCHECK NONE\nHEALTHCHECK CMD ["curl", "-f", "x"]\n'
    )
    first, second, third = df.instructions[1:]
    assert [f.name for f in first.flags] == ["interval", "timeout", "start-interval", "retries"]
    assert first.args == ("CMD", "/app/check.sh --quiet") and not first.json_form
    assert second.args == ("NONE",)
    assert third.args == ("CMD", "curl", "-f", "x") and third.json_form


# --- other instruction forms (§4.14) ------------------------------------------------------------


def test_env_legacy_and_key_value_forms() -> None:
    df = parse(
        'FROM a\nENV FOO bar baz\nENV A=1 B="two words" C=three\\ words\nLABEL a=b \\\n  c="d e"\n'
    )
    legacy, modern, label = df.instructions[1:]
    assert legacy.legacy_key_value and legacy.key_values == (("FOO", "bar baz"),)
    assert not modern.legacy_key_value
    assert modern.key_values == (("A", "1"), ("B", "two words"), ("C", "three words"))
    assert modern.raw_key_values == (("A", "1"), ("B", '"two words"'), ("C", "three\\ words"))
    assert label.key_values == (("a", "b"), ("c", "d e"))


def test_env_value_variables_are_kept_unexpanded() -> None:
    ins = one("FROM a\nENV PATH=/x:$PATH B='$lit'\n")
    assert ins.key_values == (("PATH", "/x:$PATH"), ("B", "$lit"))


def test_arg_with_and_without_default() -> None:
    ins = one('ARG foo bar=baz q="1 2"\nFROM a\n', 0)
    assert ins.key_values == (("foo", None), ("bar", "baz"), ("q", "1 2"))
    assert ins.args == ("foo", "bar=baz", 'q="1 2"')


def test_env_without_equals_in_later_word_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse("FROM a\nENV A=1 B\n")
    assert info.value.line == 2 and "can't find =" in info.value.message


def test_lowercase_instructions_and_as() -> None:
    df = parse("from alpine as Builder\nrun echo\nFROM builder\n")
    assert kw(df) == ["FROM", "RUN", "FROM"]
    assert df.instructions[0].keyword_raw == "from"
    assert df.stages[0].name == "builder" and df.stages[0].name_raw == "Builder"
    assert df.stages[1].parent == 0


def test_unknown_instruction_is_kept() -> None:
    df = parse("FROM a\nFOO bar baz\n")
    ins = df.instructions[1]
    assert ins.keyword == "FOO" and not ins.known and ins.args == ("bar baz",)
    assert dump(df).splitlines()[1] == '(foo "")'


def test_maintainer_user_workdir_stopsignal_take_the_whole_rest() -> None:
    df = parse(
        "FROM a\nMAINTAINER Jane Doe <j@x>\nUSER app:app\nWORKDIR /a b\nSTOPSIGNAL SIGQUIT\n"
    )
    assert [i.args for i in df.instructions[1:]] == [
        ("Jane Doe <j@x>",),
        ("app:app",),
        ("/a b",),
        ("SIGQUIT",),
    ]


def test_expose_words() -> None:
    assert one("FROM a\nEXPOSE 80/tcp  53/udp\n").args == ("80/tcp", "53/udp")


# --- bad input -------------------------------------------------------------------------------


def test_empty_file() -> None:
    for text in ("", "\n\n", "# only a comment\n", b""):
        with pytest.raises(DockerfileSyntaxError) as info:
            parse(text, path="Dockerfile")
        assert info.value.raw_message == "file with no instructions"
        assert info.value.line is not None


@pytest.mark.parametrize(
    "data", [b"FROM a\x00\n", b"\x89PNG\r\n\x1a\n\x00\x00", b"FROM \xff\xfe\n", "FROM a\x00"]
)
def test_binary_input(data: bytes | str) -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse(data)
    assert "binary file" in info.value.message


def test_lone_surrogates_in_text_are_binary() -> None:
    with pytest.raises(DockerfileSyntaxError):
        parse("FROM \udcff\n")


def test_undecodable_byte_reports_its_line() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse(b"FROM a\nRUN \xff\n")
    assert info.value.line == 2


def test_instruction_from_a_lone_escape_at_eof_is_kept_empty() -> None:
    # BuildKit makes a node with an empty keyword out of it; its dispatcher rejects it
    df = parse("FROM a\n\\\n")
    assert [i.keyword for i in df.instructions] == ["FROM", ""]
    assert not df.instructions[1].known


def test_instruction_after_a_lone_escape_line_starts_there() -> None:
    ins = one("FROM a\n\\\nRUN x\n")
    assert ins.keyword == "RUN" and ins.pos == Position(3, 1)
    assert ins.start_line == 2 and list(ins.lines) == [2, 3]
    assert ins.original == "\\\nRUN x"


def test_large_file_parses() -> None:
    body = (
        "RUN echo hello world && \\\n    apt-get install -y foo \\\n    # comment\n    bar\n"
        * 20000
    )
    df = parse("FROM a\n" + body)
    assert len(df.instructions) == 20001
    assert df.instructions[-1].end_line == 80001


# --- the model helpers ---------------------------------------------------------------------------


def test_dockerfile_helpers() -> None:
    df = parse("FROM a AS one\nRUN x\nFROM one\n")
    assert df.stage_named("ONE") is df.stages[0]
    assert df.stage_named("two") is None
    assert df.line(2) == "RUN x" and df.line(99) == ""
    run = df.instructions[1]
    assert list(run.lines) == [2] and run.text == "x"


def test_path_is_kept() -> None:
    assert parse("FROM a\n", path="x/Dockerfile").path == "x/Dockerfile"


def test_backslash_escaped_heredoc_delimiter_counts_as_unquoted() -> None:
    # BuildKit compares quote counts only (parser.go heredocFromMatch): <<\EOF expands
    doc = one("FROM a\nRUN <<\\EOF\nx\nEOF\n").heredocs[0]
    assert doc.name == "EOF" and doc.expand is True


def test_heredoc_word_that_is_not_a_single_word_is_ignored() -> None:
    run = one("FROM a\nRUN cat <<'EOF\n")
    assert run.heredocs == ()


def test_iter_all_yields_onbuild_triggers() -> None:
    from dockline.dockerfile.parser import iter_all

    df = parse("FROM a\nONBUILD RUN x\n")
    assert [i.keyword for i in iter_all(df)] == ["FROM", "ONBUILD", "RUN"]
