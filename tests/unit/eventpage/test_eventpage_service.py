"""The service's settings and request handling (fake pool; no database, no socket)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from eventservice.app import Service
from eventservice.errors import DatabaseUnavailable
from eventservice.settings import Settings, SettingsError, load_settings

ROW = ("ci1", datetime(2018, 8, 29, 2, 33, 28, tzinfo=UTC), 34.136, -117.775, 5.5, 4.4,
       "mw", "4km N of La Verne, CA", "reviewed", "ci", False)


class FakePool:
    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.calls: list[tuple[str, dict[str, object] | None]] = []

    def fetch(self, query: str, args: dict[str, object] | None = None) -> Sequence[Sequence[Any]]:
        self.calls.append((query, args))
        if not self.up:
            raise DatabaseUnavailable("connection refused")
        return [(1,)] if query == "SELECT 1" else [ROW]


def service(up: bool = True, mount: str = "/ws/designmaps") -> tuple[Service, FakePool]:
    pool = FakePool(up)
    return Service(Settings(mount_path=mount, db_password="x", version="7"), pool), pool


@pytest.mark.parametrize("path", ["/ws/designmaps", "/ws/designmaps/"])
def test_status_is_the_health_endpoint(path: str) -> None:
    svc, pool = service()
    status, body = svc.handle("GET", path)
    assert status == 200 and body["database"] == "up" and body["version"] == "7"
    assert pool.calls == [("SELECT 1", None)]


def test_status_unhealthy_when_database_down() -> None:
    svc, _ = service(up=False)
    status, body = svc.handle("GET", "/ws/designmaps/")
    assert status == 503 and str(body["database"]).startswith("down")


def test_query_answers_geojson() -> None:
    svc, pool = service()
    status, body = svc.handle("GET", "/ws/designmaps/query?latitude=34.1&longitude=-117.7&maxradiuskm=250")
    assert status == 200 and body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["ci1"]  # type: ignore[index,union-attr]
    assert pool.calls[0][1]["radius"] == 250.0  # type: ignore[index]
    json.dumps(body)  # serialisable


def test_bad_query_is_400_and_touches_no_database() -> None:
    svc, pool = service()
    status, body = svc.handle("GET", "/ws/designmaps/query?latitude=200&longitude=0")
    assert status == 400 and body["error"]["parameter"] == "latitude"  # type: ignore[index]
    assert pool.calls == []


def test_query_503_when_database_down() -> None:
    svc, _ = service(up=False)
    status, body = svc.handle("GET", "/ws/designmaps/query")
    assert status == 503 and body["error"]["code"] == 503  # type: ignore[index]


@pytest.mark.parametrize("method,path,code", [
    ("GET", "/", 404), ("GET", "/ws/designmapsX", 404), ("GET", "/ws/designmaps/other", 404),
    ("POST", "/ws/designmaps/query", 405), ("DELETE", "/ws/designmaps/", 405),
])
def test_other_requests(method: str, path: str, code: int) -> None:
    svc, _ = service()
    assert svc.handle(method, path)[0] == code


def test_custom_mount_path() -> None:
    svc, _ = service(mount="/api/v2")
    assert svc.handle("GET", "/api/v2/")[0] == 200
    assert svc.handle("GET", "/ws/designmaps/")[0] == 404


def test_settings_defaults_and_secret_files() -> None:
    files = {"/run/secrets/db_password": "s3cret\n", "/run/secrets/admin": "adm"}
    s = load_settings({"DB_PASSWORD_FILE": "/run/secrets/db_password",
                       "DB_ADMIN_PASSWORD_FILE": "/run/secrets/admin"}, read=files.__getitem__)
    assert (s.mount_path, s.port, s.db_host, s.db_user) == ("/ws/designmaps", 8000, "db", "eventpage_ws")
    assert s.db_password == "s3cret" and s.db_admin_password == "adm"
    assert "s3cret" not in repr(s) and "adm'" not in repr(s)


def test_settings_from_environment() -> None:
    s = load_settings({"MOUNT_PATH": "/x/y/", "PORT": "9000", "DB_PASSWORD": "p", "DB_HOST": "pg"})
    assert (s.mount_path, s.port, s.db_host, s.db_admin_password) == ("/x/y", 9000, "pg", "")


@pytest.mark.parametrize("env,message", [
    ({}, "DB_PASSWORD"),
    ({"DB_PASSWORD": "a", "DB_PASSWORD_FILE": "/f"}, "exclusive"),
    ({"DB_PASSWORD": "a", "MOUNT_PATH": "ws"}, "MOUNT_PATH"),
    ({"DB_PASSWORD": "a", "MOUNT_PATH": "/ws/../x"}, "MOUNT_PATH"),
    ({"DB_PASSWORD": "a", "PORT": "http"}, "PORT"),
    ({"DB_PASSWORD": "a", "PORT": "70000"}, "PORT"),
    ({"DB_PASSWORD": "a", "DB_USER": "x; drop"}, "DB_USER"),
    ({"DB_PASSWORD_FILE": "/missing"}, "unreadable"),
])
def test_bad_settings(env: dict[str, str], message: str) -> None:
    def read(path: str) -> str:
        raise FileNotFoundError(2, "No such file or directory")

    with pytest.raises(SettingsError, match=message):
        load_settings(env, read=read)


def test_http_layer_on_loopback() -> None:
    """The handler over a real socket on 127.0.0.1: status, content type, JSON body, HEAD."""
    import http.client
    import threading
    from http.server import ThreadingHTTPServer

    from eventservice.app import InFlight, make_handler

    svc, _ = service()
    in_flight = InFlight()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(svc, in_flight))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        conn.request("GET", "/ws/designmaps/query?minmagnitude=1")
        r = conn.getresponse()
        assert r.status == 200 and r.getheader("Content-Type") == "application/geo+json"
        assert json.loads(r.read())["features"][0]["id"] == "ci1"
        conn.request("GET", "/ws/designmaps/query?minmagnitude=x")  # same keep-alive connection
        r = conn.getresponse()
        assert r.status == 400 and r.getheader("Content-Type") == "application/json"
        assert json.loads(r.read())["error"]["parameter"] == "minmagnitude"
        conn.request("HEAD", "/ws/designmaps/")
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"" and r.getheader("X-Service-Version") == "7"
        conn.request("POST", "/ws/designmaps/query", body=b"{}")
        r = conn.getresponse()
        assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"
        r.read()
        conn.close()
        assert in_flight.drain(timeout=1)
    finally:
        server.shutdown()
        server.server_close()
