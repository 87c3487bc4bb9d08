"""The example's generated and vendored files stay in step with their sources."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import make_catalog

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "eventpage"


def test_dockerfiles_copy_only_what_dockline_scaffold_writes() -> None:
    """The images take dockline's image runtime from ``dockline/`` in the build context,
    written by `dockline scaffold` (demo up runs it); every file they name must be one
    the scaffold writes, so a renamed script fails here rather than in a build."""
    from dockline.entrypoint.scaffold import CONTEXT_DIR, ScaffoldRequest, plan_scaffold

    written = {f.path for f in plan_scaffold(ScaffoldRequest(probe="none", entrypoint=False)).files}
    named = set()
    for name in ("page", "service", "db"):
        text = (EXAMPLE / name / "Dockerfile").read_text()
        named |= set(re.findall(rf"\b{CONTEXT_DIR}/dockline-[a-z-]+\.sh\b", text))
    assert named and named <= written, named - written
    assert (EXAMPLE / ".gitignore").read_text().splitlines()[-1] == f"{CONTEXT_DIR}/"


def test_catalog_sql_is_generated_from_make_catalog() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        make_catalog.main()
    assert (EXAMPLE / "db" / "initdb" / "20-catalog.sql").read_text() == out.getvalue(), (
        "run: python examples/eventpage/db/make_catalog.py > examples/eventpage/db/initdb/20-catalog.sql"
    )


def test_catalog_rows() -> None:
    rows = make_catalog.rows()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and len(rows) >= 30
    real = [r for r in rows if not r["sample"]]
    assert [r["id"] for r in real] == ["ci38269112-sample"]
    assert all("(sample)" in str(r["place"]) for r in rows if r["sample"])


def test_dockerfiles_take_their_base_through_an_arg_and_use_exec_form() -> None:
    for name in ("page", "service", "db"):
        text = (EXAMPLE / name / "Dockerfile").read_text()
        assert re.search(r"^ARG BASE_IMAGE=\S+\n", text, re.MULTILINE), name
        assert "FROM ${BASE_IMAGE}" in text, name
        assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[", text, re.MULTILINE), name
    page = (EXAMPLE / "page" / "Dockerfile").read_text()
    assert page.count("COPY --from=buildenv \\\n    --chown=usgs-user:usgs-user") == 3
    assert "USER 10001:10001" in page and 'CMD ["nginx", "-g", "daemon off;"]' in page
    service = (EXAMPLE / "service" / "Dockerfile").read_text()
    assert "USER 10001:10001" in service and 'ENTRYPOINT ["/usr/local/bin/dockline-entrypoint.sh"]' in service


def test_dockline_lint_finds_nothing_in_the_example() -> None:
    from click.testing import CliRunner

    from dockline.cli import cli

    result = CliRunner().invoke(cli, ["lint", "-f", "json", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    assert findings == [], findings
