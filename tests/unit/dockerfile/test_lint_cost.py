"""Lint is linear in the size of the file (issue 12, *Lint cost*): long FROM chains of
stages with ARG/ENV/RUN/COPY --from, and the ShellCheck scripts, which export only the
ARG/ENV names a RUN body sees and mentions (not every earlier one, as hadolint does)."""

from __future__ import annotations

import sys
import tracemalloc

import pytest

from dockline.dockerfile.analysis import Analysis
from dockline.dockerfile.check import RuleSettings
from dockline.dockerfile.lint import lint_bytes
from dockline.dockerfile.parser import parse
from dockline.dockerfile.semantic import all_scopes
from dockline.dockerfile.shellcheck import ShellCheck, ShScript, scripts_for


def chain(n: int) -> bytes:
    """About ``n`` instructions: each stage FROM the previous one, with ARG/ENV/RUN/COPY --from
    (every later stage inherits every earlier ARG/ENV)."""
    out = ["ARG BASE=debian:bookworm", "FROM ${BASE} AS s0"]
    i = 0
    while len(out) < n:
        out += [f"ARG V{i}=1", f"ENV E{i}=$V{i}", f'RUN echo $E{i} && test -n "$V{i}"',
                f"COPY --from=s{max(i - 1, 0)} /a /b{i}", f"FROM s{i} AS s{i + 1}"]
        i += 1
    return ("\n".join(out[:n]) + "\nUSER 1000\n").encode()


def siblings(n: int) -> bytes:
    """``n`` stages, each FROM the one before (one instruction per stage)."""
    return ("FROM scratch AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\n" for i in range(1, n))).encode()


def _calls(data: bytes) -> int:
    """Python function calls one lint makes: a cost measure that, unlike a stopwatch, is the
    same on every run and every machine (speed itself is measured in bench/fuzz_parser.py)."""
    count = 0

    def profile(_frame: object, event: str, _arg: object) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        lint_bytes(data, "Dockerfile", RuleSettings())
    finally:
        sys.setprofile(None)
    return count


def runs(n: int) -> bytes:
    """About ``n`` instructions: independent stages, each with a curl and a wget RUN."""
    return "".join(f"FROM debian:12 AS s{i}\nRUN curl -fsSO u\nRUN wget -q u\n" for i in range(n // 3)).encode()


@pytest.mark.parametrize("shape", [chain, siblings, runs], ids=["arg-env-run-copy-chain", "stage-chain", "stage-runs"])
def test_lint_work_per_instruction_does_not_grow(shape: object) -> None:
    """8x the instructions, at most ~1.5x the work per instruction (quadratic is 8x and more:
    4,000 one-line stages took 5.6 s against 0.2 s for 1,000 before the fix)."""
    small, big = shape(500), shape(4000)  # type: ignore[operator]
    ratio = _calls(big) / _calls(small)
    assert ratio < 12, f"4000 instructions made {ratio:.1f}x the calls of 500 (linear: about 8x)"


def test_scopes_memory_does_not_grow_with_the_chain() -> None:
    """A scope per instruction is a view, not a copy of every earlier ARG/ENV."""
    def peak(n: int) -> int:
        df = parse(chain(n), "Dockerfile")
        tracemalloc.start()
        scopes = all_scopes(df)
        got = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert scopes
        return got

    assert peak(4000) < 16 * peak(500)  # quadratic: about 64x


def test_scopes_still_answer_like_dicts_and_sets() -> None:
    df = parse(chain(40), "Dockerfile")
    scopes = all_scopes(df)
    last = scopes[-1][-1]  # the USER of the last stage
    assert last.env["E3"] == "1" and "V7" in last.declared and "E7" in last.env_names
    assert dict(last.env) == {**{f"V{i}": "1" for i in range(8)}, **{f"E{i}": "1" for i in range(8)}}
    assert "NOPE" not in last.env and "NOPE" not in last.declared
    assert scopes[1][0].env == {"V0": "1", "E0": "1"}  # the second stage starts from the first


def _scripts(text: str) -> list[ShScript]:
    df = parse(text, "Dockerfile")
    return scripts_for(df, Analysis(df).runs)


def _exports(s: ShScript) -> list[str]:
    proxies = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
               "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}
    names = [ln[len("export "):].split("=")[0] for ln in s.text.split("\n") if ln.startswith("export ")]
    return [n for n in names if n not in proxies]


def test_scripts_export_only_names_the_run_sees_and_mentions() -> None:
    one, two, three = _scripts(
        "ARG GLOBAL_A=1\nARG UNUSED_G\n"
        "FROM debian AS one\nARG INSTAGE\nARG QUIET\n"
        'RUN echo "$GLOBAL_A" "$INSTAGE" "$LATER" "$OTHER"\n'
        "ENV LATER=2\n"
        "FROM alpine AS two\nARG OTHER\nRUN echo $INSTAGE\n"
        "FROM one\nRUN LATER=3 && echo ${INSTAGE:-x} $GLOBAL_A\n")
    assert _exports(one) == ["GLOBAL_A", "INSTAGE"]  # not LATER (after the RUN), not OTHER (another stage)
    assert _exports(two) == []  # INSTAGE is another stage's
    assert _exports(three) == ["GLOBAL_A", "INSTAGE", "LATER"]  # inherited; hadolint's order (declaration)


def test_scripts_export_the_names_shellcheck_could_suggest() -> None:
    """SC2153 ("did you mean FOO_BARS?") looks at every assigned name: the close ones stay."""
    (s,) = _scripts('FROM debian\nENV FOO_BARS=1 FAR_AWAY=1\nRUN echo "$FOO_BAR"\n')
    assert _exports(s) == ["FOO_BARS"]


def test_script_size_is_flat_per_run() -> None:
    """6,000 ARG/RUN pairs made 265 MB of scripts (every earlier ARG exported into every RUN)."""
    text = "FROM debian\n" + "".join(f"ARG A{i}=1\nRUN echo $A{i}\n" for i in range(3000))
    scripts = _scripts(text)
    assert len(scripts) == 3000
    assert max(len(s.text) for s in scripts) < 400


@pytest.fixture(scope="module")
def real() -> ShellCheck:
    found = ShellCheck.find()
    assert found is not None, "shellcheck is not installed: scripts/test installs it (apt install shellcheck)"
    return found


@pytest.mark.parametrize("body", [
    'echo "$FOO_BAR"',  # SC2153: did you mean FOO_BARS?
    'echo "$foo_bar" "$UNSET_THING"',  # SC2154; an unassigned upper-case name is the environment's
    "FOO_BARS=2",  # assigning an exported name
    'echo "$A_VERSION" && unset OTHER_NAME',
    "read -r FOO_BARS; echo $A_VERSION${OTHER_NAME}",
])
def test_shellcheck_says_the_same_as_with_every_export(real: ShellCheck, body: str) -> None:
    text = ("ARG A_VERSION=1\nFROM debian AS base\nARG OTHER_NAME\nENV FOO_BARS=1 foo_bars=1\n"
            f"FROM base\nRUN {body}\n")
    (ours,) = _scripts(text)
    everything = ["A_VERSION", "OTHER_NAME", "FOO_BARS", "foo_bars"]
    header = "\n".join(["#!/bin/sh", *(f"export {n}=1" for n in everything)])
    body_lines = [ln for ln, where in zip(ours.text.split("\n"), ours.lines, strict=False) if where]
    full = ShScript(ours.instruction, ours.dialect, header + "\n" + "\n".join(body_lines) + "\n",
                    (0,) * (len(everything) + 1) + tuple(w for w in ours.lines if w))
    assert [(f.code, f.message, f.line, f.column) for f in real([ours])] == \
        [(f.code, f.message, f.line, f.column) for f in real([full])]
