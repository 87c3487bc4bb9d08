"""Output formats: SARIF validated against the schema, XML/JSON well-formed, escaping."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from dockline.dockerfile import formats
from dockline.dockerfile.findings import FileResult
from dockline.dockerfile.lint import lint_bytes
from dockline.dockerfile.registry import registry

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0-subset.json").read_text())
SRC = b"FROM debian\nMAINTAINER x\nRUN cd /tmp && sudo make | tee log\nCMD run --it\n"


@pytest.fixture(scope="module")
def results() -> list[FileResult]:
    ok = lint_bytes(SRC, "dir/Dockerfile, with:comma%.Dockerfile")
    bad = lint_bytes(b"FROM a\nNOPE\n", "broken.Dockerfile")
    assert ok.findings and bad.error
    return [ok, bad]


def test_sarif_validates(results: list[FileResult]) -> None:
    log = json.loads(formats.to_sarif(results, registry()))
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "DL1000" in ids and "DL3004" in ids
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["DL3004"] == "error" and levels["DL3003"] == "warning"


def test_sarif_schema_rejects_broken_logs(results: list[FileResult]) -> None:
    """The schema copy is strict enough to catch mistakes (it is not a no-op)."""
    log = json.loads(formats.to_sarif(results, registry()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SCHEMA)
    log = json.loads(formats.to_sarif(results, registry()))
    del log["version"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SCHEMA)


def test_json_is_hadolint_shaped(results: list[FileResult]) -> None:
    data = json.loads(formats.to_json(results))
    assert {"code", "column", "file", "level", "line", "message"} <= set(data[0])
    assert any(d["code"] == "DL1000" and d["file"] == "broken.Dockerfile" for d in data)


def test_checkstyle_xml(results: list[FileResult]) -> None:
    root = ET.fromstring(formats.to_checkstyle(results))
    files = root.findall("file")
    assert [f.get("name") for f in files] == ["dir/Dockerfile, with:comma%.Dockerfile", "broken.Dockerfile"]
    errs = files[0].findall("error")
    assert errs and all(e.get("source", "").startswith("dockline.") for e in errs)


def test_gitlab_codeclimate(results: list[FileResult]) -> None:
    issues = json.loads(formats.to_gitlab(results))
    assert all({"description", "check_name", "fingerprint", "severity", "location"} <= set(i) for i in issues)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}


def test_github_annotations_escape(results: list[FileResult]) -> None:
    text = formats.to_github(results)
    lines = text.splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert "file=dir/Dockerfile%2C with%3Acomma%25.Dockerfile" in text


def test_gnu_lines(results: list[FileResult]) -> None:
    import re

    lines = formats.to_gnu(results).splitlines()
    assert lines and all(re.match(r"^dockline:.+:\d+:\d+: [A-Z]+\d+ (error|warning|info|style): ", ln) for ln in lines)
    assert "dockline:broken.Dockerfile:2:1: DL1000 error: unknown instruction: NOPE" in lines


def test_codacy_one_object_per_line(results: list[FileResult]) -> None:
    rows = [json.loads(ln) for ln in formats.to_codacy(results).splitlines()]
    assert rows and all(set(r) == {"filename", "line", "message", "patternId"} for r in rows)
    assert {"filename": "broken.Dockerfile", "line": 2, "message": "unknown instruction: NOPE",
            "patternId": "DL1000"} in rows


def test_sonarqube_generic_issues(results: list[FileResult]) -> None:
    issues = json.loads(formats.to_sonarqube(results))["issues"]
    assert len(issues) == len(formats.all_findings(results))
    for i in issues:
        assert i["engineId"] == "dockline" and i["severity"] in {"CRITICAL", "MAJOR", "MINOR", "INFO"}
        assert i["type"] in {"BUG", "CODE_SMELL"}
        rng = i["primaryLocation"]["textRange"]
        assert rng["startLine"] >= 1 and rng["endLine"] >= rng["startLine"] and rng["startColumn"] >= 0


def test_junit_counts_and_clean_files(results: list[FileResult]) -> None:
    clean = lint_bytes(b'FROM debian:12.7\nUSER 10001\nCMD ["/bin/true"]\n', "clean.Dockerfile")
    assert not clean.findings
    root = ET.fromstring(formats.to_junit([*results, clean]))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["dir/Dockerfile, with:comma%.Dockerfile", "broken.Dockerfile",
                                               "clean.Dockerfile"]
    assert int(suites[0].get("failures", "0")) == len(results[0].findings) > 0
    assert suites[1].get("errors") == "1" and suites[1].find("testcase/error") is not None
    assert suites[2].get("failures") == "0" and suites[2].find("testcase").get("name") == "no findings"
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites)


def test_human_has_location_source_and_escapes_markup() -> None:
    r = lint_bytes(b"FROM debian\nRUN echo [bold]x[/bold] && cd /\n", "Dockerfile")
    text = formats.human([r])
    assert "[bold]Dockerfile[/]:2:1" in text and "DL3003" in text
    plain = formats.human([r], markup=False)
    assert "Dockerfile:2:1 DL3003 warning: Use WORKDIR" in plain and "RUN echo [bold]x[/bold]" in plain
    assert "\\[bold]" in text  # source shown literally, not as rich markup
    assert "finding" in formats.summary([r])


SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("fmt", ["human", "json", "checkstyle", "github", "gnu", "codacy", "sonarqube", "junit"])
def test_rendered_output_matches_snapshot(fmt: str) -> None:
    """Rendered output is compared with a committed snapshot; regenerate on purpose
    with DOCKLINE_UPDATE_SNAPSHOTS=1."""
    import os

    src = (Path(__file__).parents[2] / "rules" / "DL3025" / "bad.Dockerfile").read_bytes()
    res = [lint_bytes(src, "tests/rules/DL3025/bad.Dockerfile"), lint_bytes(b"FROM a\nNOPE x\n", "broken.Dockerfile")]
    text = formats.human(res) if fmt == "human" else formats.render(fmt, res, registry())
    snap = SNAPSHOTS / f"sample.{fmt}.txt"
    if os.environ.get("DOCKLINE_UPDATE_SNAPSHOTS") == "1":
        snap.write_text(text + "\n", encoding="utf-8")
    assert snap.exists(), f"no snapshot {snap.name}: write it with DOCKLINE_UPDATE_SNAPSHOTS=1 and review it"
    assert snap.read_text(encoding="utf-8") == text + "\n"
