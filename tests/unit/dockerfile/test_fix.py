"""Fixes: every fixable rule's Example settles, still parses, loses the finding,
is idempotent, and leaves every other byte alone."""

from __future__ import annotations

import pytest

from dockline.dockerfile.check import check_dockerfile
from dockline.dockerfile.findings import Edit, FixSafety
from dockline.dockerfile.fixes import FixesDidNotSettle, apply_edits, fix_text
from dockline.dockerfile.parser import parse
from dockline.dockerfile.registry import doc_example, doc_sections, registry

FIXABLE = sorted(rid for rid, r in registry().items() if r.fix is not FixSafety.NONE)


def test_there_are_fixable_rules() -> None:
    assert {"DL3000", "DL3014", "DL3015", "DL3019", "DL3020", "DL3025", "DL3042", "DL4000"} <= set(FIXABLE)


@pytest.mark.parametrize("rid", FIXABLE)
def test_example_fix_settles_and_removes_finding(rid: str) -> None:
    r = registry()[rid]
    src = doc_example(doc_sections(r.doc)["Example"])
    out = fix_text(src, "Dockerfile", unsafe=True)
    assert out.applied >= 1, f"{rid}: no fix applied to its Example"
    df = parse(out.text)  # still parses
    assert not check_dockerfile(df, rules=[rid]), f"{rid} still fires after its fix:\n{out.text}"
    again = fix_text(out.text, "Dockerfile", unsafe=True)
    assert again.applied == 0 and again.text == out.text  # idempotent
    # only the instruction lines the fix touched changed
    before, after = src.splitlines(), out.text.splitlines()
    assert len(before) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed and all(before[i].split()[0].upper() in ("RUN", "CMD", "ENTRYPOINT", "WORKDIR", "ADD",
                                                            "MAINTAINER") for i in changed)


def test_fixes_keep_other_bytes() -> None:
    src = ("# syntax=docker/dockerfile:1\n\n# comment   with  spaces\t\nFROM debian:12   \n"
           "RUN   apt-get update \\\n   && apt-get install -y curl   # trailing?\n"
           "RUN pip install flask==3.0 && pip3 install --no-cache-dir b==1 && pip install c==2\n")
    out = fix_text(src, "D")
    assert out.text == src.replace("apt-get install -y", "apt-get install --no-install-recommends -y").replace(
        "RUN pip install flask", "RUN pip install --no-cache-dir flask").replace(
        "&& pip install c", "&& pip install --no-cache-dir c")


def test_shell_form_cmd_with_shell_features_not_rewritten() -> None:
    for cmd in ['CMD echo $HOME', 'CMD a && b', 'CMD ls *.txt', 'CMD exec "$@"', 'CMD a > log']:
        out = fix_text(f"FROM debian:12\n{cmd}\n", "D")
        assert out.text == f"FROM debian:12\n{cmd}\n", cmd
    with_entrypoint = 'FROM debian:12\nENTRYPOINT ["/app"]\nCMD --port 80\n'
    assert fix_text(with_entrypoint, "D").text == with_entrypoint


def test_workdir_fix_only_when_known() -> None:
    out = fix_text("FROM debian:12\nWORKDIR /srv\nWORKDIR app\nWORKDIR ./x\n", "D")
    assert out.text == "FROM debian:12\nWORKDIR /srv\nWORKDIR /srv/app\nWORKDIR /srv/app/x\n"
    unknown = "FROM debian:12\nWORKDIR $HOME\nWORKDIR app\n"
    assert fix_text(unknown, "D").text == unknown
    child = "FROM debian:12 AS base\nWORKDIR /opt\nFROM base\nWORKDIR app\n"
    assert fix_text(child, "D").text.endswith("WORKDIR /opt/app\n")


def test_apply_edits_drops_overlaps_and_keeps_cr() -> None:
    text = "ab\r\ncd\r\n"
    out, n = apply_edits(text, [Edit(1, 1, 1, 3, "XY"), Edit(1, 2, 1, 3, "Z"), Edit(2, 3, 2, 3, "!")])
    assert out == "XY\r\ncd!\r\n" and n == 2


def test_non_settling_fixes_are_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockline.dockerfile import fixes
    from dockline.dockerfile.findings import Finding, Fix, Severity

    def always(df, settings=None, files=None):  # type: ignore[no-untyped-def]
        return [Finding("X1", Severity.ERROR, "m", "D", 1, 1, 1,
                        fix=Fix(FixSafety.SAFE, "grow", (Edit(1, 1, 1, 1, "#"),)))]

    monkeypatch.setattr(fixes, "check_dockerfile", always)
    with pytest.raises(FixesDidNotSettle):
        fix_text("FROM a\n", "D")

    def breaking(df, settings=None, files=None):  # type: ignore[no-untyped-def]
        return [Finding("X1", Severity.ERROR, "m", "D", 1, 1, 1,
                        fix=Fix(FixSafety.SAFE, "break", (Edit(1, 1, 1, 5, "RUN <<EOF"),)))]

    monkeypatch.setattr(fixes, "check_dockerfile", breaking)
    with pytest.raises(FixesDidNotSettle, match="does not parse"):
        fix_text("FROM a\n", "D")


def test_unsafe_fixes_need_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockline.dockerfile import fixes
    from dockline.dockerfile.findings import Finding, Fix, Severity

    def unsafe(df, settings=None, files=None):  # type: ignore[no-untyped-def]
        if df.text.startswith("ARG"):
            return []
        return [Finding("X1", Severity.ERROR, "m", "D", 1, 1, 1,
                        fix=Fix(FixSafety.UNSAFE, "u", (Edit(1, 1, 1, 1, "ARG X=1\n"),)))]

    monkeypatch.setattr(fixes, "check_dockerfile", unsafe)
    assert fix_text("FROM a\n", "D").applied == 0
    assert fix_text("FROM a\n", "D", unsafe=True).text == "ARG X=1\nFROM a\n"


def test_dl3009_fix_is_unsafe_and_careful() -> None:
    src = "FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl\n"
    assert fix_text(src, "D").text == src  # safe fixes only: untouched
    fixed = fix_text(src, "D", unsafe=True).text
    assert fixed == src.replace("curl\n", "curl && rm -rf /var/lib/apt/lists/*\n")
    for body in ["apt-get update; apt-get install -y x # note", "apt-get update && apt-get install -y x &",
                 "if true; then apt-get update; fi"]:
        text = f"FROM debian:12\nRUN {body}\n"
        out = fix_text(text, "D", unsafe=True, settings=None).text
        assert "rm -rf /var/lib/apt/lists" not in out, body
