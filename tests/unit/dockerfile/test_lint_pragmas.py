"""Pragmas: next-instruction, global, stage; hadolint and dockline spellings; shell=."""

from __future__ import annotations

from dockline.dockerfile.lint import lint_bytes


def rules(src: str) -> list[tuple[int, str]]:
    r = lint_bytes(src.encode(), "D")
    assert r.error is None, r.error
    return [(f.line, f.rule) for f in r.findings if f.rule in ("DL3003", "DL3004", "DL4006")]


def test_next_instruction_only() -> None:
    src = "FROM debian:12\n# hadolint ignore=DL3003,DL3004 # reason: legacy\nRUN cd /x && sudo y\nRUN cd /z\n"
    assert rules(src) == [(4, "DL3003")]


def test_dockline_spelling_and_blank_lines_between() -> None:
    src = "FROM debian:12\n# dockline ignore=DL3003\n\n# another comment\nRUN cd /x\n"
    assert rules(src) == []


def test_pragma_does_not_jump_over_instructions() -> None:
    src = "FROM debian:12\n# dockline ignore=DL3003\nENV A=1\nRUN cd /x\n"
    assert rules(src) == [(4, "DL3003")]


def test_global_and_stage() -> None:
    src = ("# hadolint global ignore=DL3004\nFROM debian:12 AS a\n# dockline stage ignore=DL3003\n"
           "RUN cd /x && sudo y\nRUN cd /y\nFROM debian:12\nRUN cd /z && sudo q\n")
    assert rules(src) == [(7, "DL3003")]


def test_multiline_instruction_covered() -> None:
    src = "FROM debian:12\n# hadolint ignore=DL4006\nRUN echo a \\\n  | cat\n"
    assert rules(src) == []


def test_shell_pragma_makes_run_windows() -> None:
    src = "# hadolint shell=powershell\nFROM debian:12\nRUN Get-Item x | cd /y\n"
    assert rules(src) == []
