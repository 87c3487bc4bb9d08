"""The poller: target checks, percentiles, and counting against a local server."""

from __future__ import annotations

import http.server
import threading
from datetime import timedelta
from typing import ClassVar

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


# ---------------------------------------------------------------- hostile names, failing workers, bad numbers
class _HostLog(http.server.BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _HostLog.hosts.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a: object) -> None:
        pass


def test_dns_rebinding_cannot_lead_off_the_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The name answers 127.0.0.1 to the check and a remote address afterwards: every
    request still goes to the checked 127.0.0.1, with the name in the Host header."""
    import socket

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostLog)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: object, *args: object, **kwargs: object) -> object:
        if host == "rebind.test":
            addr = next(answers, "192.0.2.1")  # TEST-NET-1: after the check, "somewhere else"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port))]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    _HostLog.hosts = []
    try:
        target = parse_target(f"http://rebind.test:{port}/", allow_remote=False)
        s = poll(target, rate=20, duration=timedelta(seconds=0.3), timeout=timedelta(seconds=1))
    finally:
        srv.shutdown()
        srv.server_close()
    assert s.sent >= 1 and s.ok == s.sent and s.failed == 0, s
    assert set(_HostLog.hosts) == {f"rebind.test:{port}"}


def test_worker_exceptions_are_failures_by_kind(monkeypatch: pytest.MonkeyPatch, server: object) -> None:
    import http.client

    from click.testing import CliRunner

    from dockline.cli import cli

    def broken(self: object, *a: object, **k: object) -> None:
        raise ValueError("unforeseen")

    monkeypatch.setattr(http.client.HTTPConnection, "request", broken)
    port = server.server_address[1]  # type: ignore[attr-defined]
    s = poll(parse_target(f"http://127.0.0.1:{port}/", allow_remote=False), rate=20,
             duration=timedelta(seconds=0.3))
    assert s.sent >= 1 and s.failed == s.sent and s.ok == 0
    assert s.failures == {"exception_ValueError": s.sent}
    res = CliRunner().invoke(cli, ["poll", f"http://127.0.0.1:{port}/", "--rate", "20", "--duration", "0.3"])
    assert res.exit_code == 1 and "exception_ValueError" in res.output


def test_a_worker_that_raises_past_its_own_handlers_still_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockline.router import poll as poll_mod

    class Escape(BaseException):  # not an Exception: past _one's handlers, kept by the future
        pass

    def raises(*a: object) -> tuple[str | None, float]:
        raise Escape

    monkeypatch.setattr(poll_mod, "_one", raises)
    s = poll(parse_target("http://127.0.0.1:9/", allow_remote=False), rate=20, duration=timedelta(seconds=0.2))
    assert s.sent >= 1 and s.failed == s.sent and s.failures == {"exception_Escape": s.sent}


@pytest.mark.parametrize(
    "args,expect",
    [(["--rate", "nan"], "--rate must be between"), (["--rate", "inf"], "--rate must be between"),
     (["--rate", "-1"], "--rate must be between"), (["--rate", "1e-300"], "--rate must be between"),
     (["--rate", "0"], "--rate must be between"), (["--timeout", "0"], "--timeout must be more than 0"),
     (["--timeout", "100000"], "at most 1h"), (["--duration", "0"], "--duration must be more than 0")],
)
def test_bad_numbers_are_exit_2_with_the_flag(args: list[str], expect: str) -> None:
    from click.testing import CliRunner

    from dockline.cli import cli

    bounded = [] if "--duration" in args else ["--duration", "0.2"]  # without the check, a poll ends
    res = CliRunner().invoke(cli, ["poll", "http://127.0.0.1:9/", *args, *bounded])
    assert res.exit_code == 2, res.output
    assert expect in res.output and "internal error" not in res.output


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/\n", "http://[::1/", "http://127.0.0.1:99999/"])
def test_bad_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        parse_target(url, allow_remote=False)
