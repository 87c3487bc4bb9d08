"""Variable expansion as BuildKit's shell lexer does it (its envVarTest table, in part)."""

from __future__ import annotations

import pytest

from dockline.dockerfile.semantic import ExpansionError, Lexer, expand, expand_words, expansion

ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": "", "VER": "1.2-rc1-x"}

CASES = [
    ("hello", "hello"),
    ("he'll'o", "hello"),
    ("he\\'llo", "he'llo"),
    ("abc\\tdef", "abctdef"),
    ('"abc\\tdef"', "abc\\tdef"),
    ('"abc\\\\tdef"', "abc\\tdef"),
    ("'abc\\tdef'", "abc\\tdef"),
    ("hello\\", "hello"),
    ("hello\\\\", "hello\\"),
    ('"hel\'lo"', "hel'lo"),
    ("'hello\\'", "hello\\"),
    ("'hello\\there'", "hello\\there"),
    ("'hello\\\\there'", "hello\\\\there"),
    ("\"''\"", "''"),
    ("$.", "$."),
    ("he$1x", "hex"),
    ("he$.x", "he$.x"),
    ("he$pwd.", "he."),
    ("he$PWD", "he/home"),
    ("he\\$PWD", "he$PWD"),
    ("he\\\\$PWD", "he\\/home"),
    ('"he\\$PWD"', "he$PWD"),
    ('"he\\\\$PWD"', "he\\/home"),
    ("\\${}", "${}"),
    ("he\\${}xx", "he${}xx"),
    ("he${hi}xx", "hexx"),
    ("he${PWD}", "he/home"),
    ("he${XXX:-000}xx", "he000xx"),
    ("he${PWD:-000}xx", "he/homexx"),
    ("he${XXX:-$PWD}xx", "he/homexx"),
    ("he${XXX:-${PWD:-yyy}}xx", "he/homexx"),
    ("he${XXX:-${YYY:-yyy}}xx", "heyyyxx"),
    ("he${PWD?}", "he/home"),
    ("he${PWD:?}", "he/home"),
    ("he${NULL?}", "he"),
    ("he${XXX:+${PWD}}xx", "hexx"),
    ("he${PWD:+${XXX}}xx", "hexx"),
    ("he${PWD:+${SHELL}}xx", "hebashxx"),
    ("he${XXX:+000}xx", "hexx"),
    ("he${PWD:+000}xx", "he000xx"),
    ("'he${XX}'", "he${XX}"),
    ('"he${PWD}"', "he/home"),
    ("\"he'$PWD'\"", "he'/home'"),
    ('"$PWD"', "/home"),
    ("'$PWD'", "$PWD"),
    ("'\\$PWD'", "\\$PWD"),
    ("'\"hello\"'", '"hello"'),
    ("he${PWD:+${PWD}:}xx", "he/home:xx"),
    ("he${XXX:-\\$PWD:}xx", "he$PWD:xx"),
    ("he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"),
    ("안녕$KOREAN", "안녕한국어"),
    ("안'녕'하세요", "안녕하세요"),
    ("${aaa}}", "}"),
    ("${aaa:-bbb}}", "bbb}"),
    # unset vs empty, with and without the colon
    ("${NULL-w}", ""),
    ("${NULL:-w}", "w"),
    ("${XXX-w}", "w"),
    ("${NULL+w}", "w"),
    ("${NULL:+w}", ""),
    ("${XXX+w}", ""),
    # pattern removal and replacement (BuildKit >= 1.7 syntax)
    ("${VER%%-*}", "1.2"),
    ("${VER%-*}", "1.2-rc1"),
    ("${VER#*-}", "rc1-x"),
    ("${VER##*-}", "x"),
    ("${VER#nomatch}", "1.2-rc1-x"),
    ("${VER/rc/RC}", "1.2-RC1-x"),
    ("${VER//-/_}", "1.2_rc1_x"),
    ("${VER/?/_}", "_.2-rc1-x"),
    ("${VER%.*}", "1"),
    ("${XXX#a}", ""),
]


@pytest.mark.parametrize(("word", "expected"), CASES)
def test_expand(word: str, expected: str) -> None:
    assert expand(word, ENV) == expected


ERRORS = [
    "he'llo",
    "he\\\\'llo",
    '"hello',
    '"hello\\"',
    "'hello",
    "${}",
    "he${}xx",
    "he${.}",
    "he${XXX:YYY}",
    "he${XXX?}",
    "he${XXX:?}",
    "he${NULL:?}",
    "he${PWD",
    "he${PWD:=000}xx",
    "${{aaa}",
    "${aaa",
    "${aaa:-bbb",
    "${VER:#x}",
    "${VER/x",
    "${VER#\\x}",
]


@pytest.mark.parametrize("word", ERRORS)
def test_expand_errors(word: str) -> None:
    with pytest.raises(ExpansionError):
        expand(word, ENV)


def test_error_message_of_required_variable() -> None:
    with pytest.raises(ExpansionError, match="XXX: set it"):
        expand("${XXX:?set it}", ENV)


def test_escaped_glob_characters_are_literal() -> None:
    assert expand("${A#\\*}", {"A": "*x"}) == "x"
    assert expand("${A#*}", {"A": "*x"}) == "*x"  # shortest match of * is empty
    assert expand("${A%\\?}", {"A": "a?"}) == "a"
    assert expand("${A%%\\**}", {"A": "xx**"}) == "xx"


def test_backtick_escape() -> None:
    assert expand("a`$PWD", ENV, escape="`") == "a$PWD"
    assert expand("C:\\dir", ENV, escape="`") == "C:\\dir"


def test_words_split_after_expansion() -> None:
    assert expand_words('a "b c" $SP d', {"SP": "x  y"}) == ["a", "b c", "x", "y", "d"]
    assert expand_words('""', {}) == []


def test_expansion_reports_matched_and_unmatched() -> None:
    exp = expansion("$PWD ${NOPE} ${MISSING:-d}", ENV)
    assert exp.matched == {"PWD"}
    assert exp.unmatched == {"NOPE", "MISSING"}
    assert exp.unset_used == {"NOPE"}


def test_skip_unset_keeps_the_reference() -> None:
    lx = Lexer(skip_unset=True)
    assert lx.word("$A ${B} ${C:-x} ${D#p} ${E/a/b}", {}) == "$A ${B} ${C:-x} ${D#p} ${E/a/b}"


def test_raw_quotes_and_escapes() -> None:
    lx = Lexer(raw_quotes=True, raw_escapes=True, skip_unset=True)
    assert lx.words("RUN <<'EOF' a\\ b \"c d\"", {}) == ["RUN", "<<'EOF'", "a\\ b", '"c d"']


def test_more_lexer_corners() -> None:
    env = {"A": "abcabc"}
    assert Lexer(raw_escapes=True).word('"a\\$b"', {}) == "a\\$b"
    with pytest.raises(ExpansionError):
        expand('"a\\', {})
    assert expand("x$", {}) == "x$"
    assert expand("$@ $# $0", {"@": "at", "#": "n", "0": "zero"}) == "at n zero"
    assert expand("${A/x/y}", env) == "abcabc"
    assert expand("${A/\\}/y}", {"A": "a}b"}) == "ayb"
    assert expand("${A/b/\\/}", env) == "a\\/cabc"  # BuildKit keeps the escape in the replacement
    for bad in ("${", "${A:", "${A:-${B:=z}}", "${A/b", "${A/b/c", "${A/'x/c}", "${A/b/'c}"):
        with pytest.raises(ExpansionError):
            expand(bad, env)
