"""The poller: target checks, percentiles, and counting against a local server."""

from __future__ import annotations

import http.server
import threading
from datetime import timedelta

import pytest

from dockline.errors import UsageError
from dockline.router.poll import parse_target, percentile, poll


def test_non_loopback_targets_need_allow_remote() -> None:
    with pytest.raises(UsageError, match="--allow-remote"):
        parse_target("http://192.0.2.1/", allow_remote=False)
    assert parse_target("http://192.0.2.1/x?y=1", allow_remote=True).path == "/x?y=1"
    with pytest.raises(UsageError):
        parse_target("https://127.0.0.1/", allow_remote=False)


def test_percentile() -> None:
    assert percentile([], 50) is None
    vals = [float(i) for i in range(1, 101)]
    assert percentile(vals, 50) == 50.0 and percentile(vals, 99) == 99.0


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 503 if self.path == "/bad" else 200
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a: object) -> None:
        pass


@pytest.fixture()
def server() -> object:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def test_counts_ok_and_failures_by_kind(server: http.server.ThreadingHTTPServer) -> None:
    port = server.server_address[1]
    ok = poll(parse_target(f"http://127.0.0.1:{port}/", allow_remote=False), rate=40, duration=timedelta(seconds=1))
    assert ok.sent >= 38 and ok.failed == 0 and ok.ok == ok.sent and ok.p50_ms is not None
    bad = poll(parse_target(f"http://127.0.0.1:{port}/bad", allow_remote=False), rate=20, duration=timedelta(seconds=0.5))
    assert bad.failed == bad.sent and set(bad.failures) == {"http_503"}
    server.shutdown()
    server.server_close()
    gone = poll(parse_target(f"http://127.0.0.1:{port}/", allow_remote=False), rate=20, duration=timedelta(seconds=0.3))
    assert gone.failures.get("refused") == gone.sent


def test_poll_command_exit_codes(server: http.server.ThreadingHTTPServer) -> None:
    import json

    from click.testing import CliRunner

    from dockline.cli import cli

    port = server.server_address[1]
    ok = CliRunner().invoke(cli, ["poll", f"http://127.0.0.1:{port}/", "--rate", "20", "--duration", "0.5", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["failed"] == 0
    bad = CliRunner().invoke(cli, ["poll", f"http://127.0.0.1:{port}/bad", "--rate", "20", "--duration", "0.3"])
    assert bad.exit_code == 1 and "http_503" in bad.output
    remote = CliRunner().invoke(cli, ["poll", "http://192.0.2.1/", "--duration", "1"])
    assert remote.exit_code == 2 and "--allow-remote" in remote.output
