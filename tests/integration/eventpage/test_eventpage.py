"""The flagship example end to end: ``dockline demo up`` on the real swarm, then the
page, the query, a real browser, a service upgrade and a password rotation under
``dockline poll``, a killed database, and ``dockline demo down``.

One demo deployment (module fixture) serves every test, in file order; each test
leaves it running and healthy for the next. Everything is labelled with the test
labels and removed by ``demo down`` in the fixture's teardown (also on failure).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dockline.engine import Engine
from dockline.router.apply import Router

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "eventpage"
OUT = ROOT / "test-output" / "eventpage"
for sub in ("db", "service"):
    if str(EXAMPLE / sub) not in sys.path:
        sys.path.insert(0, str(EXAMPLE / sub))

import make_catalog
from eventservice.query import distance_km

LA_VERNE = "ci38269112-sample"
TITLE = "M 4.4 - 4km N of La Verne, CA"
SECTIONS = ("Overview", "Regional Information", "Impact", "Technical", "Tsunami",
            "View Nearby Seismicity", "Contributors")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


# --------------------------------------------------------------------------- helpers
def dockline(args: list[str], *, timeout: float, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """The real CLI, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "dockline", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def get(url: str, timeout: float = 10) -> Response:
    assert url.startswith("http://127.0.0.1:"), url  # loopback only
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, urllib.error.URLError) as e:
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@dataclass
class Demo:
    name: str
    router: str
    port: int
    state: Path
    report: dict[str, Any]
    labels: dict[str, str]
    current: dict[str, str]  # stack variables the tests changed so far (kept by later deploys)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def deploy(self, **changes: str) -> subprocess.CompletedProcess[str]:
        """``dockline deploy`` of the example with the demo's variables, ``changes`` and
        every earlier change, routed through the demo's own router (never the default one,
        which a user's ``scripts/demo`` may be running)."""
        self.current.update(changes)
        images = self.report["images"]
        env = {
            "DOCKLINE_ROUTER": self.router,
            "PAGE_IMAGE": images["page"],
            "SERVICE_IMAGE": images["service"],
            "DB_IMAGE": images["db"],
            "SECRETS_DIR": str(self.state / "secrets"),
            "ROUTER_NETWORK": Router(self.router).network,
            **self.current,
        }
        return dockline(["deploy", "-c", str(EXAMPLE / "stack.yml"), "-c", str(self.state / "labels.override.yml"),
                         "--resolve-image", "never", "--timeout", "4m", self.name], timeout=300, env=env)

    def containers(self, engine: Engine, service: str, running: bool = True) -> list[Any]:
        found = engine.containers({"com.docker.swarm.service.name": f"{self.name}_{service}"}, all=not running)
        return [c for c in found if c.status == "running"] if running else found


class Poller:
    """``dockline poll URL --json`` in the background, stopped with SIGINT."""

    def __init__(self, url: str, rate: float = 10):
        self.url = url
        self.proc = subprocess.Popen([sys.executable, "-m", "dockline", "poll", url, "--rate", str(rate),
                                      "--timeout", "5", "--json"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=30)
        assert out.strip(), f"dockline poll printed no summary: {err[-2000:]}"
        summary: dict[str, Any] = json.loads(out)
        summary["exit_code"] = self.proc.returncode
        return summary

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def deploy_under_poll(demo: Demo, **changes: str) -> list[dict[str, Any]]:
    """Redeploy with ``changes`` while ``dockline poll`` hits both routes at 10/s; assert the
    deploy converged and not one request failed. Returns the two poll summaries."""
    pollers = [Poller(demo.url("/eventpage/")), Poller(demo.report["urls"]["nearby"])]
    try:
        time.sleep(2)
        deployed = demo.deploy(**changes)
        time.sleep(3)
        summaries = [p.stop() for p in pollers]
    finally:
        for p in pollers:
            p.kill()
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    for summary in summaries:
        assert summary["sent"] >= 100, summary
        assert summary["failed"] == 0 and summary["exit_code"] == 0, summary
    return summaries


def expected_nearby_ids() -> set[str]:
    """The page's nearby query computed in Python over the catalog the database loads."""
    center = (34.136, -117.775)
    start = datetime(2018, 8, 8, 2, 33, 28, tzinfo=UTC)
    end = datetime(2018, 9, 19, 2, 33, 28, tzinfo=UTC)
    return {
        str(r["id"]) for r in make_catalog.rows()
        if start <= r["time"] <= end and float(r["magnitude"]) >= 1.0  # type: ignore[arg-type,operator]
        and distance_km(center[0], center[1], float(r["latitude"]), float(r["longitude"])) <= 250.0  # type: ignore[arg-type]
    }


# --------------------------------------------------------------------------- the demo
@pytest.fixture(scope="module")
def demo(swarm: Engine, run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    name, router, port = f"ep{run_id[:6]}", f"epr{run_id[:6]}", free_port()
    state = tmp_path_factory.mktemp("eventpage-demo")
    labels = {"dockline.test": "1", "dockline.test.run": run_id}
    label_args = [a for k, v in labels.items() for a in ("--label", f"{k}={v}")]
    common = ["--name", name, "--router", router, "--state-dir", str(state)]
    try:
        t0 = time.monotonic()
        proc = dockline(["demo", "up", *common, "--port", str(port), *label_args, "--json"], timeout=900)
        assert proc.returncode == 0, f"demo up failed:\n{proc.stderr[-4000:]}"
        report = json.loads(proc.stdout)
        report["wall"] = round(time.monotonic() - t0, 1)
        yield Demo(name, router, port, state, report, labels, {})
    finally:
        down = dockline(["demo", "down", *common, "--images"], timeout=300)
        swarm.remove_image(f"dockline-demo/{name}-service:2", force=True)
        assert down.returncode == 0, f"demo down failed:\n{down.stderr[-3000:]}"


def test_main_job_prints_the_urls_and_serves_the_page(demo: Demo) -> None:
    urls = demo.report["urls"]
    assert urls["page"] == demo.url("/eventpage/")
    assert urls["service"] == demo.url("/ws/designmaps/")
    assert set(demo.report["timings"]) >= {"build", "router", "deploy", "route"}
    r = get(urls["page"])
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    page = r.body.decode()
    assert f"<title>{TITLE}</title>" in page and f'<h1 id="event-title">{TITLE}</h1>' in page
    assert "2018-08-29 02:33:28 (UTC) | 34.136°N 117.775°W | 5.5 km depth" in page
    # The response headers come from the page_headers swarm config (page/headers.conf).
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert get(demo.url("/eventpage/metadata.json")).json()["base_href"] == "eventpage"


def test_nearby_query_returns_the_la_verne_event(demo: Demo) -> None:
    r = get(demo.report["urls"]["nearby"])
    assert r.status == 200, r.body[:500]
    assert r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    ids = {f["id"] for f in body["features"]}
    assert LA_VERNE in ids
    laverne = next(f for f in body["features"] if f["id"] == LA_VERNE)
    assert laverne["properties"]["title"] == TITLE
    assert laverne["geometry"]["coordinates"] == [-117.775, 34.136, 5.5]
    # The database's distance, time and magnitude filters agree with Python's over the
    # same catalog: events beyond 250 km, three weeks or below M 1.0 are left out.
    assert ids == expected_nearby_ids()
    assert len(ids) < len(make_catalog.rows())


@pytest.mark.parametrize("query,parameter", [
    ("latitude=200&longitude=0", "latitude"),
    ("starttime=yesterday", "starttime"),
    ("minmagnitude=1&minmagnitude=2", "minmagnitude"),
    ("maxradiuskm=250", "latitude"),
    ("drop=table", "drop"),
])
def test_bad_query_gets_400_with_a_json_error(demo: Demo, query: str, parameter: str) -> None:
    r = get(demo.url(f"/ws/designmaps/query?{query}"))
    assert r.status == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["parameter"] == parameter


def test_a_real_browser_renders_the_page(demo: Demo, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is required: apt-get install chromium"
    OUT.mkdir(parents=True, exist_ok=True)
    shot = OUT / "eventpage.png"
    shot.unlink(missing_ok=True)
    url = demo.report["urls"]["page"]

    def browser(*args: str) -> subprocess.CompletedProcess[str]:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        profile.mkdir()
        return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=120, check=False)

    dom = browser("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    (OUT / "eventpage.dom.html").write_text(dom.stdout, encoding="utf-8")
    assert f"<title>{TITLE}</title>" in dom.stdout
    assert f">{TITLE}</h1>" in dom.stdout
    for section in SECTIONS:
        assert f">{section}</h2>" in dom.stdout, section
    for sub in ("Did You Feel It?", "ShakeMap", "PAGER", "Ground Failure", "Origin", "Moment Tensor"):
        assert f">{sub}</h3>" in dom.stdout, sub
    snap = browser("--screenshot=" + str(shot), "--window-size=1280,2400", "--hide-scrollbars")
    assert snap.returncode == 0, snap.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_service_upgrade_under_poll_drops_no_request(demo: Demo, swarm: Engine) -> None:
    v2 = f"dockline-demo/{demo.name}-service:2"
    swarm.build(str(EXAMPLE), tag=v2, dockerfile="service/Dockerfile",
                buildargs={"BASE_IMAGE": "local/python:bookworm", "VERSION": "2"}, labels=demo.labels)
    before = swarm.service(f"{demo.name}_service")
    assert before is not None and before.image.startswith(demo.report["images"]["service"])
    deploy_under_poll(demo, SERVICE_IMAGE=v2)
    after = swarm.service(f"{demo.name}_service")
    assert after is not None and after.image.startswith(v2)
    versions = {get(demo.url("/ws/designmaps/")).json()["version"] for _ in range(10)}
    assert versions == {"2"}


def test_page_config_rotation_under_poll_drops_no_request(demo: Demo, swarm: Engine) -> None:
    headers = demo.state / "headers.conf"  # later deploys keep using it
    headers.write_text((EXAMPLE / "page" / "headers.conf").read_text()
                       + 'add_header X-Eventpage-Config "rotated" always;\n')
    page_before = swarm.service(f"{demo.name}_page")
    assert page_before is not None and len(page_before.configs) == 1
    assert "x-eventpage-config" not in get(demo.url("/eventpage/")).headers
    deploy_under_poll(demo, PAGE_HEADERS=str(headers))
    page_after = swarm.service(f"{demo.name}_page")
    assert page_after is not None and page_after.configs != page_before.configs  # a new config version
    assert {get(demo.url("/eventpage/")).headers.get("x-eventpage-config") for _ in range(10)} == {"rotated"}
    assert swarm.configs({"com.docker.stack.namespace": demo.name}) != []


def _psql_login(engine: Engine, container: str, user: str, password: str) -> bool:
    """Whether ``user`` logs in over TCP with ``password`` (given on stdin, never in argv)."""
    res = engine.cli(["exec", "-i", container, "sh", "-c",
                      f'PGPASSWORD="$(cat)" psql -w -h 127.0.0.1 -U {user} -d eventpage -tAc "SELECT 1"'],
                     input=password)
    return res.returncode == 0 and res.stdout.strip() == "1"


def test_password_rotation_under_poll_drops_no_request(demo: Demo, swarm: Engine) -> None:
    secret_file = demo.state / "secrets" / "db_password"
    old_password = secret_file.read_text()
    new_password = f"rotated-{os.urandom(12).hex()}"
    service_before = swarm.service(f"{demo.name}_service")
    db_before = swarm.service(f"{demo.name}_db")
    assert service_before is not None and db_before is not None
    secret_file.write_text(new_password)
    deploy_under_poll(demo)
    service_after = swarm.service(f"{demo.name}_service")
    db_after = swarm.service(f"{demo.name}_db")
    assert service_after is not None and db_after is not None
    # A new secret version went to the service (rolling update); the database was not touched.
    assert set(service_after.secrets) != set(service_before.secrets)
    assert db_after.task_spec_key == db_before.task_spec_key
    # The database now takes the new password and refuses the old one.
    db = demo.containers(swarm, "db")
    assert len(db) == 1
    assert _psql_login(swarm, db[0].id, "eventpage_ws", new_password)
    assert not _psql_login(swarm, db[0].id, "eventpage_ws", old_password)


def test_killed_database_is_restarted_and_the_service_recovers(demo: Demo, swarm: Engine) -> None:
    service_before = swarm.service(f"{demo.name}_service")
    assert service_before is not None
    db = demo.containers(swarm, "db")
    assert len(db) == 1
    marker = f"marker-{os.urandom(4).hex()}"
    code, out = swarm.exec_in(db[0].id, [
        "psql", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "eventpage", "-c",
        (f"INSERT INTO events VALUES ('{marker}', '2018-08-29 03:00:00+00', 34.14, -117.78, 4.0, 2.0, "
         "'ml', 'test marker (sample)', 'reviewed', 'ci', true)")], user="postgres")
    assert code == 0, out
    nearby = demo.report["urls"]["nearby"]
    before = {f["id"] for f in get(nearby).json()["features"]}
    assert marker in before

    # The same poller that sees no failure during updates and rotations sees this outage.
    poller = Poller(nearby)
    time.sleep(1)
    service_task = demo.containers(swarm, "service")[0]
    swarm.kill_container(db[0].id)
    # The service answers at once that the catalog is unavailable (it does not hang on its
    # pooled connections to the dead database).
    code, out = swarm.exec_in(service_task.id, [
        "curl", "-s", "-m", "4", "-o", "/dev/null", "-w", "%{http_code}",
        "http://127.0.0.1:8000/ws/designmaps/query?minmagnitude=4"])
    assert (code, out) == (0, "503"), (code, out)

    def service_unhealthy() -> bool:
        return any(c.health == "unhealthy" for c in demo.containers(swarm, "service", running=False))

    wait_for("a service task to turn unhealthy", service_unhealthy, timeout=60)

    def new_db_healthy() -> bool:
        return any(c.id != db[0].id and c.health == "healthy" for c in demo.containers(swarm, "db"))

    wait_for("swarm to restart the database", new_db_healthy, timeout=120)

    def recovered() -> set[str] | None:
        r = get(nearby)
        return {f["id"] for f in r.json()["features"]} if r.status == 200 else None

    try:
        after = wait_for("the service to answer the query again", recovered, timeout=120)
        outage = poller.stop()
    finally:
        poller.kill()
    assert outage["failed"] > 0 and outage["exit_code"] == 1, outage
    assert after == before  # the volume kept the catalog and the marker row
    service_after = swarm.service(f"{demo.name}_service")
    assert service_after is not None
    assert service_after.task_spec_key == service_before.task_spec_key  # no redeploy
    wait_for("both service tasks healthy again",
             lambda: sum(c.health == "healthy" for c in demo.containers(swarm, "service")) == 2, timeout=90)


def test_demo_down_removes_what_up_made(demo: Demo, swarm: Engine) -> None:
    common = ["--name", demo.name, "--router", demo.router, "--state-dir", str(demo.state)]
    proc = dockline(["demo", "down", *common, "--json"], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert swarm.services({"com.docker.stack.namespace": demo.name}) == []
    assert swarm.services({"com.docker.stack.namespace": demo.router}) == []
    assert not swarm.volume_exists(f"{demo.name}_catalog")
    assert swarm.secrets({"com.docker.stack.namespace": demo.name}) == []
    assert not (demo.state / "secrets" / "db_password").exists()

    def refused() -> bool:
        try:
            get(demo.url("/eventpage/"), timeout=3)
        except OSError:
            return True
        return False

    wait_for("the router's port to close", refused, timeout=30)  # the edge container stops
    # Up again from the same state is the warm path; the fixture's teardown removes it.
    again = dockline(["demo", "up", *common, "--port", str(demo.port),
                      *[a for k, v in demo.labels.items() for a in ("--label", f"{k}={v}")]], timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert get(demo.url("/eventpage/")).status == 200
