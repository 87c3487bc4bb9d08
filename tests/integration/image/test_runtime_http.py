"""HTTP probe in real containers: a server that needs 10 s before serving goes unhealthy,
then healthy; on two networks the probe stays right (the talk's `hostname -i` URL breaks).
Also what `dockline build` put on the image (OCI labels from git, target stage)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from imagekit import Images, dockline, wait_for

pytestmark = pytest.mark.docker

FAST_HTTP = {"test": ["CMD", "/usr/local/bin/dockline-health-http.sh"], "interval": timedelta(seconds=1),
             "timeout": timedelta(seconds=3), "retries": 2, "start_period": timedelta(seconds=1)}


def test_build_put_oci_labels_from_git(engine: Any, images: Images) -> None:
    labels = engine.image(images.web).labels
    assert re.fullmatch(r"[0-9a-f]{40}", labels["org.opencontainers.image.revision"])
    assert labels["org.opencontainers.image.version"] == "v1.0.0"
    assert labels["org.opencontainers.image.source"] == "https://git.example/team/web"  # token dropped
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", labels["org.opencontainers.image.created"])
    hc = engine.image(images.web).healthcheck
    assert hc.test == ("CMD", "/usr/local/bin/dockline-health-http.sh")
    assert hc.interval == timedelta(seconds=20) and hc.retries == 3


def test_slow_server_is_unhealthy_then_healthy(engine: Any, images: Images, containers: Any) -> None:
    c = containers(images.web, environment={"START_DELAY": "10"}, healthcheck=FAST_HTTP)
    seen: list[str] = []
    unhealthy_log: list[str] = []

    def healthy() -> bool:
        info = engine.container(c.id)
        if info.health and (not seen or seen[-1] != info.health):
            seen.append(info.health)
        if info.health == "unhealthy":
            unhealthy_log[:] = info.health_log
        assert info.status == "running", engine.container_logs(c.id)
        return info.health == "healthy"

    wait_for(healthy, 60, "the web container to become healthy")
    assert seen.index("unhealthy") < seen.index("healthy"), seen
    assert unhealthy_log and all(
        e == "[HEALTHCHECK] unhealthy: http://127.0.0.1:80/: connection refused (curl exit 7)" for e in unhealthy_log
    ), unhealthy_log
    log = engine.container(c.id).health_log
    assert log[-1] == "[HEALTHCHECK] healthy: http://127.0.0.1:80/ answered 200"
    # the template was rendered from the environment; nginx's own $host survived
    code, conf = engine.exec_in(c.id, ["cat", "/etc/nginx/conf.d/default.conf"])
    assert code == 0 and "server_name  localhost;" in conf and "add_header X-Seen-Host $host;" in conf


def test_two_networks_probe_stays_right_talks_breaks(engine: Any, images: Images, containers: Any,
                                                    test_labels: dict[str, str]) -> None:
    nets = [f"dl-img-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    label_args = [a for k, v in test_labels.items() for a in ("--label", f"{k}={v}")]
    c = None
    try:
        for n in nets:
            p = engine.cli(["network", "create", *label_args, n])
            assert p.returncode == 0, p.stderr
        c = containers(images.web, network=nets[0])
        p = engine.cli(["network", "connect", nets[1], c.id])
        assert p.returncode == 0, p.stderr
        wait_for(lambda: engine.exec_in(c.id, ["/usr/local/bin/dockline-health-http.sh"])[0] == 0, 30,
                 "nginx to serve")
        _, addrs = engine.exec_in(c.id, ["hostname", "-i"])
        assert len(addrs.split()) == 2, addrs  # one address per network: the talk's trap
        code, out = engine.exec_in(c.id, ["/usr/local/bin/dockline-health-http.sh"])
        assert (code, out.strip()) == (0, "[HEALTHCHECK] healthy: http://127.0.0.1:80/ answered 200")
        code, out = engine.exec_in(c.id, ["env", "HEALTHCHECK_ADDR=auto", "/usr/local/bin/dockline-health-http.sh"])
        assert code == 0 and out.strip().startswith("[HEALTHCHECK] healthy: http://" + addrs.split()[0])
        # the talk's script on the same container: the URL gets both addresses; under
        # `bash -e` curl's failure exits with curl's own code and no [HEALTHCHECK] line.
        code, out = engine.exec_in(c.id, ["env", "PORT=80", "MOUNT_PATH=", "/usr/local/bin/talk/healthcheck-http.sh"])
        assert code not in (0, 1), (code, out)
        assert "[HEALTHCHECK]" not in out
        # the operator-side probe reaches the container on each of its addresses
        for ip in engine.container(c.id).ip_addresses.values():
            p2 = dockline("health", "http", f"http://{ip}:80/")
            assert p2.returncode == 0, p2.stdout
    finally:
        if c is not None:  # a network cannot be removed while a container is attached
            engine.remove_container(c.id)
        for n in nets:
            engine.cli(["network", "rm", n])
    assert all(engine.cli(["network", "inspect", n]).returncode != 0 for n in nets), "networks left behind"
