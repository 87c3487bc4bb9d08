"""Probes against hostile servers: what a server says is untrusted (one safe line, however
forged, escaped or long), what it sends is bounded, and ``--timeout`` is one deadline for the
whole probe (a drip-feeding server, an absurd SCRAM iteration count)."""

from __future__ import annotations

import socket
import struct
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from healthfakes import PgBehaviour, fake_postgres, scripted_server

from dockline.cli import cli
from dockline.health import (
    Healthy,
    PostgresTarget,
    ProbeTimeout,
    Unhealthy,
    line,
    probe_http,
    probe_postgres,
)
from dockline.health.outcome import MAX_MESSAGE, safe_text
from dockline.health.postgres import MAX_SCRAM_ITERATIONS, ScramRefused, scram_client_final

FORGED = "starting up\n[HEALTHCHECK] healthy: all fine\x1b[2J\x1b]0;owned\x07\r\u202eevil"


def health(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], float]:
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, ["health", *args], env=env, catch_exceptions=False)
    return res.exit_code, res.output.splitlines(), time.monotonic() - t0


def assert_safe(lines: list[str]) -> str:
    assert len(lines) == 1, lines
    text = lines[0]
    assert text.startswith("[HEALTHCHECK] unhealthy: ")
    assert text.isprintable() and len(text) <= MAX_MESSAGE + 80
    assert text.count("[HEALTHCHECK]") <= 2  # the forged one is shown inside, escaped
    return text


# ---------------------------------------------------------------- one safe line
def test_safe_text_escapes_controls_and_cuts() -> None:
    assert safe_text("plain: ok") == "plain: ok"
    assert safe_text("a\nb\r\tc\x1b[0m\x7f\x85\u2028\u202e\udcff") == "a\\nb\\r\\tc\\x1b[0m\\x7f\\x85\\u2028\\u202e\\udcff"
    cut = safe_text("x" * (1 << 24))
    assert len(cut) < MAX_MESSAGE + 60 and cut.endswith(f"(cut at {MAX_MESSAGE} of {1 << 24} characters)")
    assert safe_text("\x1b" * 10, limit=9) == "\\x1b\\x1b... (cut at 9 of 10 characters)"


def test_line_is_always_one_printable_line() -> None:
    out = line(Unhealthy(FORGED, timedelta(0)))
    assert "\n" not in out and "\x1b" not in out and out.isprintable()
    assert out.startswith("[HEALTHCHECK] unhealthy: starting up\\n[HEALTHCHECK] healthy: all fine\\x1b[2J")


def test_postgres_error_text_cannot_forge_a_line() -> None:
    with fake_postgres(PgBehaviour(auth="fatal", fatal_message=FORGED)) as port:
        code, lines, _ = health("postgres", "--port", str(port))
    assert code == 1
    assert "\\n[HEALTHCHECK] healthy: all fine\\x1b[2J" in assert_safe(lines)


def test_postgres_16_mib_error_is_neither_buffered_nor_printed() -> None:
    def script(conn: socket.socket) -> None:
        conn.recv(8)  # SSLRequest
        conn.sendall(b"N")
        conn.recv(1024)  # startup
        body = b"SFATAL\0M" + b"A" * (16 << 20) + b"\0\0"
        conn.sendall(b"E" + struct.pack("!I", len(body) + 4) + body[: 1 << 20])  # the rest is never needed
        time.sleep(2)

    with scripted_server(script) as port:
        out = probe_postgres(PostgresTarget(port=port), timeout=timedelta(seconds=5))
    assert isinstance(out, Unhealthy) and out.message.endswith("AAAA (cut)")
    assert len(out.message) < 70 * 1024  # at most one capped message was read
    assert len(line(out)) < MAX_MESSAGE + 80


def test_http_status_line_escape_sequences_are_escaped() -> None:
    def script(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200\x1b]0;owned\x07 OK\r\n[HEALTHCHECK] healthy: x\r\n\r\n")

    with scripted_server(script) as port:
        code, lines, _ = health("http", f"http://127.0.0.1:{port}/")
    assert code == 1
    assert "BadStatusLine" in assert_safe(lines) and "\\x1b]0;owned\\x07" in lines[0]


def test_http_headers_beyond_the_budget_are_refused() -> None:
    def script(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for i in range(90):  # within http.client's own limits (100 headers of 64 KiB): 5.4 MB
            conn.sendall(b"X-Pad-%d: " % i + b"p" * 60_000 + b"\r\n")
        conn.sendall(b"Content-Length: 0\r\n\r\n")

    with scripted_server(script) as port:
        out = probe_http(f"http://127.0.0.1:{port}/", timeout=timedelta(seconds=10))
    assert isinstance(out, Unhealthy) and "the server sent more than 256 KiB" in out.message


# ---------------------------------------------------------------- one deadline
def test_http_timeout_bounds_the_whole_request_not_each_read() -> None:
    def script(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):  # one header byte every 0.1 s, for 4 s: each read is quick
            conn.sendall(b"X")
            time.sleep(0.1)

    with scripted_server(script) as port:
        t0 = time.monotonic()
        out = probe_http(f"http://127.0.0.1:{port}/", timeout=timedelta(seconds=0.5))
        took = time.monotonic() - t0
    assert isinstance(out, ProbeTimeout) and "no answer within 0.5s" in out.message
    assert took < 1.5


def test_http_timeout_bounds_a_slow_body() -> None:
    def script(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(40):
            conn.sendall(b"b")
            time.sleep(0.1)

    with scripted_server(script) as port:
        t0 = time.monotonic()
        out = probe_http(f"http://127.0.0.1:{port}/", timeout=timedelta(seconds=0.5))
    assert isinstance(out, ProbeTimeout) and time.monotonic() - t0 < 1.5


def test_http_fast_answer_is_still_healthy() -> None:
    def script(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
        time.sleep(0.05)  # the body in a later segment, after http.client closed its side
        conn.sendall(b"ok")

    with scripted_server(script) as port:
        assert isinstance(probe_http(f"http://127.0.0.1:{port}/"), Healthy)


def test_scram_absurd_iteration_count_is_refused_at_once() -> None:
    with fake_postgres(PgBehaviour(auth="scram", scram_iterations="50000000")) as port:
        code, lines, took = health("postgres", "--port", str(port), "--timeout", "2s")
    assert code == 1 and took < 1.5
    assert "the server asks for 50000000 SCRAM iterations (more than 1,000,000 is refused" in assert_safe(lines)
    with pytest.raises(ScramRefused):
        scram_client_final("pw", "n=,r=abc", "r=abcdef,s=c2FsdA==,i=" + "9" * 5000, "abc")
    with pytest.raises(ValueError, match="iteration count 0"):
        scram_client_final("pw", "n=,r=abc", "r=abcdef,s=c2FsdA==,i=000", "abc")


def test_scram_derivation_ends_at_the_deadline() -> None:
    # allowed, but far more work than a 50 ms probe may do (about 0.4 s here)
    with fake_postgres(PgBehaviour(auth="scram", scram_iterations=str(MAX_SCRAM_ITERATIONS))) as port:
        t0 = time.monotonic()
        out = probe_postgres(PostgresTarget(port=port), timeout=timedelta(milliseconds=50))
        took = time.monotonic() - t0
    assert isinstance(out, ProbeTimeout), out
    assert took < 0.3


# ---------------------------------------------------------------- input that would forge or inject
@pytest.mark.parametrize(
    "args",
    [["http", "http://127.0.0.1:1/\n[HEALTHCHECK] healthy: fine"], ["http", "http://-oProxyCommand=x/"],
     ["tcp", "--", "-e:80"], ["tcp", "a\x1bb:80"], ["postgres", "--host", "-h"]],
)
def test_forging_or_option_like_input_is_refused(args: list[str]) -> None:
    code, lines, _ = health(*args)
    assert code == 1
    text = assert_safe(lines)
    assert "not a host name or address" in text or "control character" in text


def test_exec_output_is_escaped_and_cut() -> None:
    code, lines, _ = health("exec", "--", "sh", "-c",
                            "printf 'fine\\033[2J\\033]0;owned\\007\\n[HEALTHCHECK] healthy: forged\\n'; exit 1")
    assert code == 1
    assert assert_safe(lines).endswith("exited 1: fine\\x1b[2J\\x1b]0;owned\\x07")


def test_refused_url_still_hides_credentials() -> None:
    out = probe_http("http://admin:hunter22@127.0.0.1:1/\n[HEALTHCHECK] healthy: x")
    assert isinstance(out, Unhealthy) and "control character" in out.message and "hunter22" not in out.message
