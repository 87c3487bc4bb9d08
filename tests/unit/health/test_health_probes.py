"""Python probes against in-process servers: http, tcp, exec, postgres (fake server), the
SCRAM maths (RFC 7677 vector), settings from the environment, the waiter and outcomes."""

from __future__ import annotations

import base64
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from healthfakes import PgBehaviour, closed_port, fake_postgres, http_server, silent_server

from dockline.health import (
    Backoff,
    DeadlineExceeded,
    Healthy,
    PostgresTarget,
    ProbeTimeout,
    SettingsError,
    Unhealthy,
    exit_code,
    line,
    parse_target,
    probe_exec,
    probe_http,
    probe_postgres,
    probe_tcp,
    settings_from_env,
    wait_healthy,
)
from dockline.health.http import shown_url
from dockline.health.postgres import md5_password, scram_client_final

SHORT = timedelta(milliseconds=500)


# ---------------------------------------------------------------- http
def test_http_healthy_sends_user_agent_and_host_header() -> None:
    with http_server({"/ready": 200}) as (port, log):
        out = probe_http(f"http://127.0.0.1:{port}/ready", host_header="app.internal")
    assert isinstance(out, Healthy)
    assert "answered 200" in out.message
    assert log.requests[0]["user-agent"] == "Internal Healthcheck"
    assert log.requests[0]["host"] == "app.internal"


def test_http_wrong_status_is_unhealthy_and_names_expected() -> None:
    with http_server({"/": 503}) as (port, _):
        out = probe_http(f"http://127.0.0.1:{port}/")
    assert isinstance(out, Unhealthy)
    assert "answered 503, expected 200" in out.message


def test_http_expected_status_set() -> None:
    with http_server({"/": 204}) as (port, _):
        assert isinstance(probe_http(f"http://127.0.0.1:{port}/", expected=[200, 204]), Healthy)
        assert isinstance(probe_http(f"http://127.0.0.1:{port}/", expected=[200]), Unhealthy)


def test_http_redirect_is_not_followed() -> None:
    with http_server({"/old": 301, "/": 200}) as (port, _):
        out = probe_http(f"http://127.0.0.1:{port}/old")
    assert isinstance(out, Unhealthy) and "answered 301" in out.message


def test_http_refused_and_timeout() -> None:
    out = probe_http(f"http://127.0.0.1:{closed_port()}/", timeout=SHORT)
    assert isinstance(out, Unhealthy) and "connection refused" in out.message
    with silent_server() as port:
        out2 = probe_http(f"http://127.0.0.1:{port}/", timeout=SHORT)
    assert isinstance(out2, ProbeTimeout) and "no answer within 0.5s" in out2.message


def test_http_credentials_never_shown() -> None:
    out = probe_http(f"http://admin:hunter22@127.0.0.1:{closed_port()}/", timeout=SHORT)
    assert "hunter22" not in out.message and "***@127.0.0.1" in out.message
    assert shown_url("http://a:b@h/x") == "http://***@h/x"
    assert shown_url("http://h/x") == "http://h/x"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:80", "http://", "http://h:notaport/"])
def test_http_bad_urls_are_unhealthy(url: str) -> None:
    assert isinstance(probe_http(url, timeout=SHORT), Unhealthy)


def test_http_host_header_injection_refused() -> None:
    out = probe_http("http://127.0.0.1:1/", host_header="a\r\nX-Evil: 1")
    assert isinstance(out, Unhealthy) and "Host header" in out.message


# ---------------------------------------------------------------- tcp
def test_tcp_probe() -> None:
    with http_server({}) as (port, _):
        assert isinstance(probe_tcp("127.0.0.1", port), Healthy)
    out = probe_tcp("127.0.0.1", closed_port(), timeout=SHORT)
    assert isinstance(out, Unhealthy) and "connection refused" in out.message
    out = probe_tcp("no-such-host.invalid", 80, timeout=SHORT)
    assert isinstance(out, Unhealthy) and "resolve" in out.message


@pytest.mark.parametrize(
    "text,expected",
    [("db:5432", ("db", 5432)), ("127.0.0.1:80", ("127.0.0.1", 80)), ("[::1]:8080", ("::1", 8080))],
)
def test_parse_target(text: str, expected: tuple[str, int]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["db", "db:", ":80", "db:0", "db:70000", "db:http", "[::1]8080"])
def test_parse_target_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_target(text)


# ---------------------------------------------------------------- exec
def test_exec_probe_outcomes() -> None:
    ok = probe_exec([sys.executable, "-c", "print('[HEALTHCHECK] healthy: fine')"])
    assert isinstance(ok, Healthy) and ok.message.endswith("exited 0: fine")
    bad = probe_exec([sys.executable, "-c", "import sys; print('nope'); sys.exit(3)"])
    assert isinstance(bad, Unhealthy) and "exited 3: nope" in bad.message
    slow = probe_exec([sys.executable, "-c", "import time; time.sleep(5)"], timeout=SHORT)
    assert isinstance(slow, ProbeTimeout)
    missing = probe_exec(["/nonexistent/probe"])
    assert isinstance(missing, Unhealthy) and "could not run" in missing.message
    killed = probe_exec([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    assert isinstance(killed, Unhealthy) and "signal 9" in killed.message
    assert isinstance(probe_exec([]), Unhealthy)


# ---------------------------------------------------------------- postgres
@pytest.mark.parametrize("auth", ["trust", "cleartext", "md5"])
def test_postgres_healthy(auth: str) -> None:
    with fake_postgres(PgBehaviour(auth=auth)) as port:
        out = probe_postgres(PostgresTarget(port=port, password="s3cret-pw"))
    assert isinstance(out, Healthy) and "answered SELECT 1" in out.message


def test_postgres_wrong_password_clear_line_without_password() -> None:
    with fake_postgres(PgBehaviour(auth="md5")) as port:
        out = probe_postgres(PostgresTarget(port=port, password="wrong-password"))
    assert isinstance(out, Unhealthy)
    assert 'FATAL: password authentication failed for user "postgres"' in out.message
    assert "wrong-password" not in line(out)
    assert "wrong-password" not in repr(PostgresTarget(password="wrong-password"))


def test_postgres_message_containing_password_is_withheld() -> None:
    with fake_postgres(PgBehaviour(auth="fatal", fatal_message="bad secret s3cret-pw here")) as port:
        out = probe_postgres(PostgresTarget(port=port, password="s3cret-pw"))
    assert "s3cret-pw" not in out.message and "withheld" in out.message


def test_postgres_starting_up_wrong_answer_refused_timeout() -> None:
    with fake_postgres(PgBehaviour(auth="fatal")) as port:
        out = probe_postgres(PostgresTarget(port=port))
    assert isinstance(out, Unhealthy) and "starting up" in out.message
    with fake_postgres(PgBehaviour(answer="2")) as port:
        out = probe_postgres(PostgresTarget(port=port))
    assert isinstance(out, Unhealthy) and "answered ['2']" in out.message
    out = probe_postgres(PostgresTarget(port=closed_port()), timeout=SHORT)
    assert isinstance(out, Unhealthy) and "connection refused" in out.message
    with silent_server() as port:
        out = probe_postgres(PostgresTarget(port=port), timeout=SHORT)
    assert isinstance(out, ProbeTimeout)


def test_postgres_against_http_server_is_a_protocol_error() -> None:
    with http_server({}) as (port, _):
        out = probe_postgres(PostgresTarget(port=port), timeout=timedelta(seconds=2))
    assert isinstance(out, Unhealthy | ProbeTimeout)


def test_scram_rfc7677_vector() -> None:
    # RFC 7677 section 3 (user "user", password "pencil").
    client_nonce = "rOprNGfwEbeRWgbNEkqO"
    server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    ex = scram_client_final("pencil", f"n=user,r={client_nonce}", server_first, client_nonce)
    assert ex.client_final == (
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    assert base64.b64encode(ex.server_signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_rejects_foreign_nonce() -> None:
    with pytest.raises(ValueError):
        scram_client_final("pw", "n=,r=abc", "r=xyz123,s=AAAA,i=4096", "abc")


def test_md5_password() -> None:
    # md5(md5("secret" + "alice") + salt), prefixed: as libpq computes it.
    assert md5_password("secret", "alice", b"\x00\x01\x02\x03") == "md5" + __import__("hashlib").md5(
        __import__("hashlib").md5(b"secretalice").hexdigest().encode() + b"\x00\x01\x02\x03"
    ).hexdigest()


def test_settings_from_env(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    t = settings_from_env({"POSTGRES_USER": "app", "POSTGRES_PASSWORD_FILE": str(secret)})
    assert (t.user, t.database, t.password, t.host, t.port) == ("app", "app", "from-file", "127.0.0.1", 5432)
    assert settings_from_env({}).user == "postgres"
    assert settings_from_env({"PGPORT": "6543", "POSTGRES_DB": "x"}).port == 6543
    assert settings_from_env({}, port=1, user="u", database="d", host="db") == PostgresTarget("db", 1, "u", "d", "")
    with pytest.raises(SettingsError, match="both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE"):
        settings_from_env({"POSTGRES_PASSWORD": "a", "POSTGRES_PASSWORD_FILE": str(secret)})
    with pytest.raises(SettingsError, match="cannot read"):
        settings_from_env({"POSTGRES_PASSWORD_FILE": str(tmp_path / "missing")})


def test_settings_sslmode(tmp_path: Path) -> None:
    assert settings_from_env({}).sslmode == "prefer"
    assert settings_from_env({"PGSSLMODE": "Require"}).sslmode == "require"
    assert settings_from_env({"PGSSLMODE": "require"}, sslmode="disable").sslmode == "disable"
    with pytest.raises(SettingsError, match="sslmode 'sometimes': should be one of disable, prefer"):
        settings_from_env({}, sslmode="sometimes")
    with pytest.raises(SettingsError, match="sslrootcert: no such file"):
        settings_from_env({"PGSSLROOTCERT": str(tmp_path / "ca.pem")})
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert settings_from_env({"PGSSLROOTCERT": str(ca)}).sslrootcert == str(ca)


def test_postgres_tls_modes_against_a_server_without_tls() -> None:
    # the fake answers "N" to the TLS request, like a server with ssl=off
    with fake_postgres(PgBehaviour()) as port:
        for mode in ("disable", "prefer"):
            out = probe_postgres(PostgresTarget(port=port, sslmode=mode))
            assert isinstance(out, Healthy) and " over " not in out.message, (mode, out)
        for mode in ("require", "verify-ca", "verify-full"):
            out = probe_postgres(PostgresTarget(port=port, sslmode=mode))
            assert isinstance(out, Unhealthy), mode
            assert f"the server does not offer TLS (sslmode={mode})" in out.message


# ---------------------------------------------------------------- outcomes and waiting
def test_line_and_exit_code() -> None:
    assert line(Healthy("x", timedelta(0))) == "[HEALTHCHECK] healthy: x"
    assert line(ProbeTimeout("y", timedelta(0))) == "[HEALTHCHECK] unhealthy: y"
    assert [exit_code(o) for o in (Healthy("", timedelta(0)), Unhealthy("", timedelta(0)),
                                   ProbeTimeout("", timedelta(0)))] == [0, 1, 1]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def test_wait_healthy_returns_first_healthy() -> None:
    fc = FakeClock()
    results = iter([Unhealthy("a", timedelta(0)), Unhealthy("b", timedelta(0)), Healthy("c", timedelta(0))])
    seen = []
    out = wait_healthy(lambda: next(results), deadline=timedelta(seconds=10), clock=fc.clock, sleep=fc.sleep,
                       on_attempt=lambda n, o: seen.append(n))
    assert isinstance(out, Healthy) and out.message == "c"
    assert seen == [1, 2, 3]
    assert fc.sleeps == [0.2, pytest.approx(0.3)]


def test_wait_healthy_deadline_never_overshoots() -> None:
    fc = FakeClock()
    out = wait_healthy(lambda: Unhealthy("down", timedelta(0)), deadline=timedelta(seconds=3),
                       backoff=Backoff(first=timedelta(seconds=1), factor=2, cap=timedelta(seconds=10)),
                       clock=fc.clock, sleep=fc.sleep)
    assert isinstance(out, DeadlineExceeded)
    assert out.last.message == "down" and not out.ok
    assert fc.now == pytest.approx(3.0)
    assert fc.sleeps == [1, 2]
    assert "not healthy after 3.0s and 3 tries: down" == out.message
