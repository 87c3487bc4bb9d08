"""Images and helpers for the image-runtime integration tests (real containers).

Images are built once per session from the local bases, through `dockline scaffold` and
`dockline build`, and removed at the end. Everything created carries the test labels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TALK = Path(__file__).parent / "talk"
DOCKLINE = [sys.executable, "-m", "dockline"]

NGINX_TEMPLATE = """\
server {
    listen       80;
    server_name  ${SERVER_NAME};
    location / {
        root   /usr/share/nginx/html;
        add_header X-Seen-Host $host;
    }
}
"""
DELAY_HOOK = """\
#!/bin/sh
# test hook: hold the start back START_DELAY seconds (a server that needs time to be ready)
if [ "${START_DELAY:-0}" -gt 0 ]; then
    echo "hook: delaying start by ${START_DELAY}s"
    sleep "$START_DELAY"
fi
"""
SLOW_CHILD = (Path(__file__).parent / "files" / "slow-child.sh").read_text()
SLOW_DOCKERFILE = """\
ARG BASE_IMAGE=debian:bookworm
FROM ${BASE_IMAGE}
COPY --chown=root:root dockline/ /usr/local/bin/
COPY --chown=root:root talk/ /usr/local/bin/talk/
COPY --chown=root:root slow-child.sh /usr/local/bin/slow-child.sh
ENTRYPOINT ["/usr/local/bin/dockline-entrypoint.sh"]
CMD ["/usr/local/bin/slow-child.sh"]
"""
SLOW_INITDB = """\
#!/bin/sh
# test init script: keep initdb's temporary (socket-only) server up for a while
echo "initdb hook: sleeping 12 s"
sleep 12
"""


@dataclass(frozen=True)
class Images:
    web: str  # local/nginx + dockline probes + entrypoint (templates, delay hook), HEALTHCHECK http
    slow: str  # local/debian + entrypoint, CMD slow-child.sh; the talk's entrypoint also inside
    pg: str  # local/postgres + dockline postgres probe HEALTHCHECK, slow initdb hook


def dockline(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DOCKLINE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _scaffold(ctx: Path, *args: str) -> list[str]:
    p = dockline("scaffold", str(ctx), *args)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def _git_init(ctx: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "web"], ["tag", "v1.0.0"],
                ["remote", "add", "origin", "https://deploy:tok3n@git.example/team/web.git"]):
        subprocess.run(["git", *cmd], cwd=ctx, check=True, capture_output=True, env=env)


def _build(ctx: Path, tag: str, base: str, labels: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    label_args = [a for k, v in labels.items() for a in ("--label", f"{k}={v}")]
    p = dockline("build", str(ctx), "-t", tag, "--build-arg", f"BASE_IMAGE={base}", *label_args, *extra)
    assert p.returncode == 0, p.stderr[-3000:]
    return p


@pytest.fixture(scope="session")
def images(engine: Any, run_id: str, test_labels: dict[str, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Images]:
    root = tmp_path_factory.mktemp("image-ctx")
    tags = Images(web=f"dockline-test/web:{run_id}", slow=f"dockline-test/slow:{run_id}",
                  pg=f"dockline-test/pg:{run_id}")
    try:
        # web: scaffold (http probe, entrypoint, nginx CMD) + template + delay hook; built by `dockline build`
        web = root / "web"
        web.mkdir()
        lines = _scaffold(web, "--probe", "http", "--start-period", "5s", "--cmd", "nginx -g 'daemon off;'")
        _write(web / "templates" / "default.conf.template", NGINX_TEMPLATE)
        _write(web / "hooks" / "10-delay.sh", DELAY_HOOK, 0o755)
        shutil.copytree(TALK, web / "talk")
        _write(web / "Dockerfile", "\n".join([
            "ARG BASE_IMAGE=nginx:bookworm",
            "FROM ${BASE_IMAGE} AS web",
            *lines,
            "COPY --chown=root:root templates/ /etc/dockline/templates/",
            "COPY --chown=root:root hooks/ /etc/dockline/entrypoint.d/",
            "COPY --chown=root:root talk/ /usr/local/bin/talk/",
            "ENV DOCKLINE_TEMPLATE_OUT=/etc/nginx/conf.d SERVER_NAME=localhost",
        ]) + "\n")
        _git_init(web)
        _build(web, tags.web, "local/nginx:bookworm", test_labels, "--target", "web")

        slow = root / "slow"
        slow.mkdir()
        _scaffold(slow, "--probe", "none", "--cmd", "/usr/local/bin/slow-child.sh")
        _write(slow / "slow-child.sh", SLOW_CHILD, 0o755)
        shutil.copytree(TALK, slow / "talk")
        _write(slow / "Dockerfile", SLOW_DOCKERFILE)
        _build(slow, tags.slow, "local/debian:bookworm", test_labels)

        pg = root / "pg"
        pg.mkdir()
        lines = _scaffold(pg, "--probe", "postgres", "--no-entrypoint", "--start-period", "5s")
        _write(pg / "initdb" / "10-slow.sh", SLOW_INITDB, 0o755)
        _write(pg / "Dockerfile", "\n".join([
            "ARG BASE_IMAGE=postgres:15-bookworm",
            "FROM ${BASE_IMAGE}",
            *lines,
            "COPY --chown=root:root initdb/ /docker-entrypoint-initdb.d/",
        ]) + "\n")
        _build(pg, tags.pg, "local/postgres:bookworm", test_labels)
        yield tags
    finally:
        for c in engine.containers(labels={"dockline.test.run": run_id, "dockline.test.image": "1"}):
            engine.remove_container(c.id)
        for t in (tags.web, tags.slow, tags.pg):
            engine.remove_image(t, force=True)


@pytest.fixture()
def containers(engine: Any, test_labels: dict[str, str]) -> Iterator[Callable[..., Any]]:
    """``run(image, **kwargs)``: engine.run_container with test labels; removed afterwards."""
    made: list[str] = []

    def run(image: str, **kwargs: Any) -> Any:
        labels = {**test_labels, "dockline.test.image": "1", **kwargs.pop("labels", {})}
        info = engine.run_container(image, labels=labels, **kwargs)
        made.append(info.id)
        return info

    yield run
    for cid in made:
        engine.remove_container(cid)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.25) -> Any:
    """Poll until ``predicate()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)
