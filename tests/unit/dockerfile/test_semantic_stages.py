"""Stages, global ARGs and the ARG/ENV scope of every instruction."""

from __future__ import annotations

from dockline.dockerfile.parser import parse
from dockline.dockerfile.semantic import (
    all_scopes,
    final_scope,
    global_env,
    stage_env,
    stage_scopes,
)


def test_stages_names_bases_parents() -> None:
    df = parse(
        "ARG BASE_IMAGE=debian:bookworm\n"
        "ARG TAG\n"
        "FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS Build\n"
        "RUN make\n"
        "FROM build AS test\n"
        "RUN make test\n"
        "FROM nginx:${TAG}\n"
        "COPY --from=build /out /usr/share/nginx/html\n"
    )
    assert [i.keyword for i in df.global_args] == ["ARG", "ARG"]
    b, t, final = df.stages
    assert (b.index, b.name, b.name_raw, b.base, b.base_expanded) == (
        0,
        "build",
        "Build",
        "${BASE_IMAGE}",
        "debian:bookworm",
    )
    assert b.platform == "$BUILDPLATFORM"
    assert b.parent is None
    assert [i.keyword for i in b.instructions] == ["RUN"]
    assert (t.name, t.base, t.parent) == ("test", "build", 0)
    assert final.name is None and final.base_expanded is None  # TAG has no default
    assert final.from_instruction.pos.line == 7
    assert final.instructions[0].flag("from") is not None


def test_base_expanded_with_default_modifier() -> None:
    df = parse("ARG TAG\nFROM alpine:${TAG:-3.19}\n")
    assert df.stages[0].base_expanded == "alpine:3.19"


def test_global_args_expand_with_earlier_global_args() -> None:
    df = parse("ARG A=1\nARG B=${A}.2\nFROM x:$B\n")
    assert df.stages[0].base_expanded == "x:1.2"
    assert global_env(df) == {"A": "1", "B": "1.2"}
    assert global_env(df, {"A": "9", "TARGETARCH": "arm64"}) == {
        "A": "9",
        "B": "9.2",
        "TARGETARCH": "arm64",
    }


def test_parent_is_only_an_earlier_stage() -> None:
    df = parse("FROM later\nFROM alpine AS later\nFROM LATER\n")
    assert [s.parent for s in df.stages] == [None, None, 1]


def test_duplicate_stage_names_resolve_to_the_first() -> None:
    df = parse("FROM a AS x\nFROM b AS x\nFROM x\n")
    assert df.stages[2].parent == 0


def test_global_args_are_not_visible_in_a_stage_unless_redeclared() -> None:
    df = parse("ARG VERSION=1.0\nFROM a\nRUN echo $VERSION\nARG VERSION\nRUN echo $VERSION\n")
    envs = stage_env(df, 0)
    assert envs[0] == {}
    assert envs[1] == {}
    assert envs[2] == {"VERSION": "1.0"}


def test_stage_arg_default_and_build_arg_override() -> None:
    df = parse("FROM a\nARG X=def\nRUN x\n")
    assert stage_env(df, 0)[1] == {"X": "def"}
    assert stage_env(df, 0, {"X": "cli"})[1] == {"X": "cli"}


def test_arg_without_value_is_declared_but_unset() -> None:
    df = parse("FROM a\nARG X\nRUN x\n")
    scope = stage_scopes(df, 0)[1]
    assert scope.env == {} and scope.declared == {"X"}


def test_env_overrides_arg() -> None:
    df = parse("FROM a\nENV X=env\nARG X=arg\nRUN x\nARG Y=1\nENV Y=2\nRUN y\n")
    scopes = stage_scopes(df, 0)
    assert scopes[2].env["X"] == "env"
    assert scopes[4].env["Y"] == "1"
    assert scopes[5].env["Y"] == "2"
    assert scopes[5].env_names == {"X", "Y"}


def test_one_instruction_sees_values_from_before_it() -> None:
    df = parse("FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\nRUN x\n")
    last = stage_env(df, 0)[-1]
    assert last == {"abc": "bye", "def": "hello", "ghi": "bye"}


def test_env_values_are_unquoted_and_expanded() -> None:
    df = parse("FROM a\nENV P=/usr/bin\nENV PATH=\"/opt:$P\" Q='$P'\nRUN x\n")
    assert stage_env(df, 0)[-1] == {"P": "/usr/bin", "PATH": "/opt:/usr/bin", "Q": "$P"}


def test_legacy_env_form_is_expanded() -> None:
    df = parse("FROM a\nARG V=1\nENV X pre-$V\nRUN x\n")
    assert stage_env(df, 0)[-1]["X"] == "pre-1"


def test_child_stage_inherits_parent_scope_but_not_unrelated() -> None:
    df = parse("FROM a AS base\nARG A=1\nENV E=2\nFROM base AS child\nRUN x\nFROM other\nRUN y\n")
    assert stage_env(df, 1)[0] == {"A": "1", "E": "2"}
    assert stage_env(df, 2)[0] == {}
    assert final_scope(df, 0).declared == {"A", "E"}


def test_malformed_value_falls_back_to_the_literal() -> None:
    df = parse("FROM a\nENV X=${bad\nARG Y=${bad\nRUN z\n")
    env = stage_env(df, 0)[-1]
    assert env == {"X": "${bad", "Y": "${bad"}


def test_instructions_before_the_first_from_are_not_in_a_stage() -> None:
    df = parse("ARG A=1\nRUN oops\nFROM a\n")
    assert [i.keyword for i in df.global_args] == ["ARG"]
    assert df.stages[0].instructions == ()
    assert [i.keyword for i in df.instructions] == ["ARG", "RUN", "FROM"]


def test_from_without_arguments_does_not_crash() -> None:
    df = parse("FROM\nFROM a b\n")
    assert df.stages[0].base == "" and df.stages[1].name is None


def test_malformed_base_has_no_expansion() -> None:
    df = parse("FROM ${\n")
    assert df.stages[0].base_expanded is None


def test_all_scopes_matches_stage_scopes() -> None:
    df = parse("FROM a AS base\nENV E=1\nFROM base AS one\nRUN x\nFROM base AS two\nRUN y\n")
    every = all_scopes(df)
    assert every == [stage_scopes(df, i) for i in range(3)]
    assert every[2][0].env == {"E": "1"}
