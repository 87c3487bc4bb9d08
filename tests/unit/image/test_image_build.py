"""Build planning: ARG table, target validation, OCI labels from git and flags."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dockline.errors import BadInputError, UsageError
from dockline.image.build import (
    GitFacts,
    arg_rows,
    declared_args,
    git_facts,
    oci_labels,
    parse_pairs,
    plan_build,
    public_source,
    split_tag,
)

DOCKERFILE = """\
ARG BASE_IMAGE=nginx:bookworm
FROM ${BASE_IMAGE} AS buildenv
ARG BASE_HREF=/events \\
    API=
FROM ${BASE_IMAGE}
ARG VERSION
"""
NOW = datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)


def test_declared_args_and_rows() -> None:
    decls, stages = declared_args(DOCKERFILE)
    assert [(d.name, d.default, d.stage, d.line) for d in decls] == [
        ("BASE_IMAGE", "nginx:bookworm", None, 1),
        ("BASE_HREF", "/events", "buildenv", 3),
        ("API", "", "buildenv", 3),
        ("VERSION", None, "#1", 6),
    ]
    assert stages == ("buildenv",)
    rows, unknown = arg_rows(decls, {"BASE_IMAGE": "local/nginx:bookworm", "TYPO": "1"})
    assert rows[0].value == "local/nginx:bookworm" and rows[0].where == "global"
    assert rows[1].value is None and rows[1].default == "/events"
    assert unknown == ("TYPO",)


def test_plan_build(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    plan = plan_build(tmp_path, dockerfile=None, tags=("app:1", "registry.local:5000/team/app:latest"),
                      build_args={"BASE_IMAGE": "local/nginx:bookworm"}, target="BuildEnv", labels={"a": "b"})
    assert plan.dockerfile is None and plan.target == "BuildEnv" and plan.tags[0] == "app:1"
    sub = tmp_path / "docker"
    sub.mkdir()
    (sub / "Dockerfile.prod").write_text(DOCKERFILE)
    plan2 = plan_build(tmp_path, dockerfile=sub / "Dockerfile.prod", tags=(), build_args={}, target=None, labels={})
    assert plan2.dockerfile == "docker/Dockerfile.prod"


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"target": "nope"}, UsageError, "no such stage"),
        ({"tags": ("Bad Tag",)}, UsageError, "not an image reference"),
        ({"build_args": {"1X": "y"}}, UsageError, "not an ARG name"),
    ],
)
def test_plan_build_rejects(tmp_path: Path, kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    base: dict[str, object] = {"dockerfile": None, "tags": (), "build_args": {}, "target": None, "labels": {}}
    base.update(kwargs)
    with pytest.raises(exc, match=match):
        plan_build(tmp_path, **base)  # type: ignore[arg-type]


def test_plan_build_missing_files(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such Dockerfile"):
        plan_build(tmp_path, dockerfile=None, tags=(), build_args={}, target=None, labels={})
    outside = tmp_path.parent / f"{tmp_path.name}-Dockerfile"
    outside.write_text("FROM scratch\n")
    with pytest.raises(BadInputError, match="inside the build context"):
        plan_build(tmp_path, dockerfile=outside, tags=(), build_args={}, target=None, labels={})
    outside.unlink()


def test_oci_labels_order_of_precedence() -> None:
    git = GitFacts(revision="abc123", dirty=False, source="https://git.example/team/app", version="v1.2-3-gabc123")
    labels = oci_labels(git, NOW, version="1.2.4", extra={"org.opencontainers.image.title": "app"})
    assert labels == {
        "org.opencontainers.image.created": "2026-11-28T01:02:03Z",
        "org.opencontainers.image.revision": "abc123",
        "org.opencontainers.image.source": "https://git.example/team/app",
        "org.opencontainers.image.version": "1.2.4",
        "org.opencontainers.image.title": "app",
    }
    assert oci_labels(GitFacts(), NOW) == {"org.opencontainers.image.created": "2026-11-28T01:02:03Z"}
    with pytest.raises(UsageError):
        oci_labels(GitFacts(), NOW, extra={"bad key": "x"})


@pytest.mark.parametrize(
    "remote,expected",
    [
        ("git@github.com:usgs/earthquake-eventpages.git", "https://github.com/usgs/earthquake-eventpages"),
        ("https://user:token@git.example/team/app.git", "https://git.example/team/app"),
        ("ssh://git@git.example:2222/team/app.git", "https://git.example/team/app"),
        ("/srv/git/app.git", None),
        ("", None),
    ],
)
def test_public_source_drops_credentials(remote: str, expected: str | None) -> None:
    assert public_source(remote) == expected


def test_git_facts_with_fake_runner() -> None:
    answers = {"rev-parse": "deadbeef", "status": " M file", "config": "git@h:o/r.git", "describe": "v1-dirty"}

    def fake(args: Sequence[str], cwd: Path) -> str | None:
        return answers.get(args[0])

    assert git_facts(Path("."), fake) == GitFacts("deadbeef", True, "https://h/o/r", "v1-dirty")
    assert git_facts(Path("."), lambda a, c: None) == GitFacts()


def test_git_facts_real_repository(tmp_path: Path) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    import os

    def git(*a: str) -> None:
        subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True, env={**os.environ, **env})

    git("init", "-q")
    (tmp_path / "f").write_text("x")
    git("add", "f")
    git("commit", "-q", "-m", "one")
    git("tag", "v0.1.0")
    facts = git_facts(tmp_path)
    assert facts.revision and len(facts.revision) == 40
    assert facts.version == "v0.1.0" and not facts.dirty and facts.source is None


def test_parse_pairs_and_split_tag() -> None:
    assert parse_pairs(["A=1", "B=x=y", "C="], "--build-arg") == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(UsageError):
        parse_pairs(["A"], "--build-arg")
    assert split_tag("app") == ("app", "latest")
    assert split_tag("reg:5000/app:v1") == ("reg:5000/app", "v1")
    assert split_tag("reg:5000/app") == ("reg:5000/app", "latest")
