"""``dockline demo``: the plan (pure parts) and the command line without an engine."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dockline import demo
from dockline.cli import cli
from dockline.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "eventpage"


def test_image_builds_use_the_bases_and_version() -> None:
    builds = demo.image_builds("eventpage", "2", demo.LOCAL_BASES)
    assert [b.key for b in builds] == ["page", "service", "db"]
    page, service, db = builds
    assert page.tag == "dockline-demo/eventpage-page:2" and page.dockerfile == "page/Dockerfile"
    assert page.buildargs == {"BASE_IMAGE": "local/nginx:bookworm", "BUILD_IMAGE": "local/python:bookworm",
                              "VERSION": "2"}
    assert service.buildargs["BASE_IMAGE"] == "local/python:bookworm"
    assert db.buildargs["BASE_IMAGE"] == "local/postgres:bookworm"
    for b in builds:
        assert (EXAMPLE / b.dockerfile).is_file()


@pytest.mark.parametrize("version", ["", "1 2", "v1;rm", "a/b", "x" * 65])
def test_bad_image_version(version: str) -> None:
    with pytest.raises(UsageError):
        demo.image_builds("eventpage", version, demo.LOCAL_BASES)


def test_labels() -> None:
    assert demo.parse_labels(["a=b", "dockline.test.run=x=y", "empty="]) == {
        "a": "b", "dockline.test.run": "x=y", "empty": ""}
    for bad in ("novalue", "=v", "a b=c"):
        with pytest.raises(UsageError):
            demo.parse_labels([bad])


def test_labels_override_covers_everything_but_external_networks() -> None:
    doc = yaml.safe_load((EXAMPLE / "stack.yml").read_text())
    out = demo.labels_override(doc, {"dockline.demo": "x"})
    assert set(out["services"]) == {"page", "service", "db"}
    assert all(s["deploy"]["labels"] == {"dockline.demo": "x"} for s in out["services"].values())
    assert set(out["volumes"]) == {"catalog"}
    assert set(out["secrets"]) == {"db_admin_password", "db_password"}
    assert set(out["configs"]) == {"page_headers"}
    assert set(out["networks"]) == {"backend"}  # the router's network is external


def test_urls_and_variables(tmp_path: Path) -> None:
    urls = demo.demo_urls(8080)
    assert urls["page"] == "http://127.0.0.1:8080/eventpage/"
    assert urls["service"] == "http://127.0.0.1:8080/ws/designmaps/"
    assert urls["nearby"].startswith("http://127.0.0.1:8080/ws/designmaps/query?starttime=2018-08-08T02:33:28Z")
    plan = demo.DemoPlan("ep", "r", 8080, EXAMPLE, tmp_path, demo.image_builds("ep", "1", demo.LOCAL_BASES),
                         {}, "local/nginx:bookworm")
    env = demo.stack_variables(plan, "r-net")
    assert env == {"PAGE_IMAGE": "dockline-demo/ep-page:1", "SERVICE_IMAGE": "dockline-demo/ep-service:1",
                   "DB_IMAGE": "dockline-demo/ep-db:1", "SECRETS_DIR": str(tmp_path / "secrets"),
                   "ROUTER_NETWORK": "r-net"}
    assert plan.volume == "ep_catalog"


def test_state_dir() -> None:
    assert demo.default_state_dir("ep", {"XDG_STATE_HOME": "/s"}) == Path("/s/dockline/demo/ep")
    assert demo.default_state_dir("ep", {"HOME": "/h"}) == Path("/h/.local/state/dockline/demo/ep")


def test_find_example_dir(tmp_path: Path) -> None:
    assert demo.find_example_dir(None, tmp_path) == EXAMPLE.resolve()
    with pytest.raises(UsageError):
        demo.find_example_dir(tmp_path, tmp_path)


def test_secrets_are_created_once_and_private(tmp_path: Path) -> None:
    d = tmp_path / "secrets"
    assert demo.ensure_secrets(d) == ["db_admin_password", "db_password"]
    first = {n: (d / n).read_text() for n in demo.SECRET_FILES}
    assert all(len(v) >= 24 for v in first.values()) and first["db_password"] != first["db_admin_password"]
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert all(stat.S_IMODE((d / n).stat().st_mode) == 0o600 for n in demo.SECRET_FILES)
    assert demo.ensure_secrets(d) == []
    assert {n: (d / n).read_text() for n in demo.SECRET_FILES} == first


def test_scaffold_runtime_writes_the_files_the_dockerfiles_copy(tmp_path: Path) -> None:
    (tmp_path / "page").mkdir()
    demo.scaffold_runtime(tmp_path)
    names = {p.name for p in (tmp_path / "dockline").iterdir()}
    assert {"dockline-entrypoint.sh", "dockline-health-http.sh", "dockline-health-postgres.sh",
            "dockline-health-tcp.sh"} <= names
    assert demo.scaffold_runtime(tmp_path) == ()  # unchanged the second time


def test_cli_rejects_bad_input_before_touching_the_engine(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["demo", "up", "--name", "Bad Name!", "--state-dir", str(tmp_path)])
    assert r.exit_code == 2
    r = runner.invoke(cli, ["demo", "up", "--label", "nolabel", "--state-dir", str(tmp_path)])
    assert r.exit_code == 2 and "KEY=VALUE" in r.output
    r = runner.invoke(cli, ["demo", "up", "--example-dir", str(tmp_path), "--state-dir", str(tmp_path)])
    assert r.exit_code == 2 and "examples/eventpage" in r.output
