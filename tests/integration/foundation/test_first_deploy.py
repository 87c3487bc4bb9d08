"""The foundation's end-to-end check: a one-service stack on the local nginx base, with a
HEALTHCHECK and a host-mode published port, deployed on the real swarm; the test waits until
the task is healthy and GETs its page on 127.0.0.1 (the ingress mesh does not answer here).
"""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

DOCKERFILE = """\
ARG BASE_IMAGE=nginx:1.27-bookworm
FROM ${BASE_IMAGE}
ARG PAGE_TEXT=hello
RUN printf '<h1>%s</h1>\\n' "${PAGE_TEXT}" > /usr/share/nginx/html/index.html
HEALTHCHECK --interval=1s --timeout=2s --start-period=5s --retries=3 \\
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/"]
"""

STACK = """\
version: "3.8"
services:
  web:
    image: {image}
    ports:
      - target: 80
        published: {port}
        protocol: tcp
        mode: host
    stop_grace_period: 2s
    deploy:
      replicas: 1
      labels:
        dockline.test: "1"
        dockline.test.run: "{run}"
      update_config:
        parallelism: 1
        failure_action: rollback
        order: stop-first
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_one_service_stack_healthy_and_serving(swarm, unique_name, test_labels, tmp_path: Path) -> None:
    from dockline.engine import Engine

    eng: Engine = swarm
    name = unique_name("found")
    image = f"dockline-test/{name}:1"
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    eng.build(str(ctx), tag=image, buildargs={"BASE_IMAGE": "local/nginx:bookworm", "PAGE_TEXT": name},
              labels=test_labels)
    port = free_port()
    stack_file = tmp_path / "stack.yml"
    stack_file.write_text(STACK.format(image=image, port=port, run=test_labels["dockline.test.run"]))
    try:
        res = eng.cli(["stack", "deploy", "--resolve-image", "never", "-c", str(stack_file), name])
        assert res.returncode == 0, res.stderr
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline:
            cs = eng.containers(labels={"com.docker.stack.namespace": name})
            health = cs[0].health if cs else None
            if health == "healthy":
                break
            time.sleep(0.5)
        assert health == "healthy", f"task never became healthy (last: {health})"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200
            assert name in r.read().decode()
    finally:
        eng.cli(["stack", "rm", name])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and eng.containers(labels={"com.docker.stack.namespace": name}):
            time.sleep(0.5)
        eng.remove_image(image, force=True)
    assert not eng.containers(labels={"com.docker.stack.namespace": name})
