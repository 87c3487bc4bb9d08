"""The POSIX-sh probes, run on the host under dash, busybox sh and bash, against local
servers: one "[HEALTHCHECK] ..." line, exit 0 or 1, shellcheck-clean. Also the talk's bash
probe failing where ours does not (message lost under -e; several addresses in the URL).

Needs: dash, busybox, bash, shellcheck, curl, wget, psql (postgresql-client).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from healthfakes import PgBehaviour, closed_port, fake_postgres, http_server, silent_server

from dockline.health import scripts

SHELLS = {"dash": ["dash"], "busybox": ["busybox", "sh"], "bash": ["bash"]}
TALK = Path(__file__).resolve().parents[2] / "integration" / "image" / "talk"


@pytest.fixture(params=sorted(SHELLS))
def shell(request: pytest.FixtureRequest) -> list[str]:
    return SHELLS[request.param]


@pytest.fixture(scope="module")
def busybox_wget(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PATH whose first `wget` and `nc` are busybox's (as in Alpine or busybox images)."""
    d = tmp_path_factory.mktemp("bbwget")
    for tool in ("wget", "nc"):
        (d / tool).symlink_to(shutil.which("busybox") or "/bin/busybox")
    yield f"{d}:{os.environ['PATH']}"


def run(shell: list[str], script: str, *args: str, env: Mapping[str, str] | None = None,
        timeout: float = 20) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHCHECK_", "POSTGRES_", "PG"))}
    full.update(env or {})
    return subprocess.run([*shell, str(scripts.script_path(script)), *args], env=full, capture_output=True,
                          text=True, timeout=timeout, check=False)


def one_line(p: subprocess.CompletedProcess[str]) -> str:
    lines = p.stdout.splitlines()
    assert len(lines) == 1, p.stdout + p.stderr
    assert lines[0].startswith("[HEALTHCHECK] ")
    assert p.returncode in (0, 1)
    return lines[0]


@pytest.mark.parametrize("name", scripts.ALL)
def test_shellcheck_clean(name: str) -> None:
    p = subprocess.run(["shellcheck", "-s", "sh", str(scripts.script_path(name))], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout


@pytest.mark.parametrize("name", scripts.ALL)
def test_scripts_are_executable_posix_sh(name: str) -> None:
    path = scripts.script_path(name)
    assert path.read_text().startswith("#!/bin/sh\n")
    assert os.access(path, os.X_OK)


# ---------------------------------------------------------------- http
@pytest.mark.parametrize("client", ["curl", "wget", "busybox-wget"])
def test_http_sh(shell: list[str], client: str, busybox_wget: str) -> None:
    env = {"DOCKLINE_HTTP_CLIENT": "wget" if client != "curl" else "curl"}
    if client == "busybox-wget":
        env["PATH"] = busybox_wget
    with http_server({"/": 200, "/down": 503, "/old": 301}) as (port, log):
        base = f"http://127.0.0.1:{port}"
        ok = run(shell, scripts.HTTP, f"{base}/", env={**env, "HEALTHCHECK_HOST_HEADER": "app.internal"})
        assert ok.returncode == 0 and one_line(ok) == f"[HEALTHCHECK] healthy: {base}/ answered 200"
        assert log.requests[-1]["user-agent"] == "Internal Healthcheck"
        assert log.requests[-1]["host"] == "app.internal"
        down = run(shell, scripts.HTTP, f"{base}/down", env=env)
        assert down.returncode == 1
        assert one_line(down) == f"[HEALTHCHECK] unhealthy: {base}/down answered 503, expected 200"
        both = run(shell, scripts.HTTP, f"{base}/down", env={**env, "HEALTHCHECK_STATUS": "200, 503"})
        assert both.returncode == 0, both.stdout
        moved = run(shell, scripts.HTTP, f"{base}/old", env=env)
        assert moved.returncode == 1 and "answered 301" in one_line(moved)
        default = run(shell, scripts.HTTP, env={**env, "PORT": str(port), "HEALTHCHECK_PATH": "/"})
        assert default.returncode == 0 and f"http://127.0.0.1:{port}/ answered 200" in one_line(default)
    refused = run(shell, scripts.HTTP, f"http://user:hunter22@127.0.0.1:{closed_port()}/", env=env)
    assert refused.returncode == 1
    text = one_line(refused)
    assert "hunter22" not in text and "***@127.0.0.1" in text


def test_http_sh_timeout(shell: list[str]) -> None:
    with silent_server() as port:
        p = run(shell, scripts.HTTP, f"http://127.0.0.1:{port}/", env={"HEALTHCHECK_TIMEOUT": "1"})
    assert p.returncode == 1 and "no answer within 1s (curl exit 28)" in one_line(p)


@pytest.mark.parametrize(
    "args,env,expect",
    [
        (["a", "b"], {}, "usage:"),
        (["ftp://x/"], {}, "not an http(s) URL"),
        (["http://127.0.0.1/"], {"HEALTHCHECK_TIMEOUT": "x"}, "HEALTHCHECK_TIMEOUT"),
        (["http://127.0.0.1/"], {"HEALTHCHECK_STATUS": "ok"}, "not a status code: ok"),
        (["http://127.0.0.1/"], {"HEALTHCHECK_STATUS": "*"}, "not a status code: *"),
        (["http://127.0.0.1/"], {"HEALTHCHECK_HOST_HEADER": "a b"}, "not a host name"),
        (["http://127.0.0.1/"], {"DOCKLINE_HTTP_CLIENT": "nc"}, "must be curl or wget"),
    ],
)
def test_http_sh_bad_input_is_one_line_exit_1(shell: list[str], args: list[str], env: dict[str, str],
                                              expect: str) -> None:
    p = run(shell, scripts.HTTP, *args, env=env)
    assert p.returncode == 1 and expect in one_line(p)


def test_http_sh_auto_address_takes_one_of_several(tmp_path: Path, shell: list[str]) -> None:
    """`hostname -i` on a task with two networks prints two addresses; the probe uses the first."""
    fake = tmp_path / "hostname"
    fake.write_text("#!/bin/sh\necho '127.0.0.1 10.0.1.7 '\n")
    fake.chmod(0o755)
    with http_server({"/": 200}) as (port, _):
        p = run(shell, scripts.HTTP, env={"HEALTHCHECK_ADDR": "auto", "PORT": str(port),
                                          "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert p.returncode == 0 and f"http://127.0.0.1:{port}/" in one_line(p)


def test_talk_http_probe_fails_where_ours_does_not(tmp_path: Path) -> None:
    """The talk's script: with two addresses the URL breaks, and under bash -e curl's failure
    exits with curl's code (not 0/1) before any [HEALTHCHECK] line is printed."""
    fake = tmp_path / "hostname"
    fake.write_text("#!/bin/sh\necho '127.0.0.1 10.0.1.7 '\n")
    fake.chmod(0o755)
    with http_server({"/ws/designmaps/": 200}) as (port, _):
        env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "PORT": str(port)}
        # Run through its shebang (#!/bin/bash -e), as Docker's HEALTHCHECK CMD does.
        talk = subprocess.run([str(TALK / "healthcheck-http.sh")], env=env, capture_output=True,
                              text=True, timeout=20, check=False)
        ours = run(["dash"], scripts.HTTP, env={"PATH": env["PATH"], "PORT": str(port), "HEALTHCHECK_ADDR": "auto",
                                                "HEALTHCHECK_PATH": "/ws/designmaps/"})
    assert talk.returncode not in (0, 1)  # curl's own exit code leaks out (Docker reserves 2, too)
    assert "[HEALTHCHECK]" not in talk.stdout
    assert ours.returncode == 0, ours.stdout


# ---------------------------------------------------------------- tcp
@pytest.mark.parametrize("client", ["bash", "curl", "nc"])
def test_tcp_sh(shell: list[str], client: str, busybox_wget: str) -> None:
    env = {"DOCKLINE_TCP_CLIENT": client, "PATH": busybox_wget}
    with http_server({}) as (port, _):
        ok = run(shell, scripts.TCP, f"127.0.0.1:{port}", env=env)
        assert ok.returncode == 0
        assert one_line(ok) == f"[HEALTHCHECK] healthy: 127.0.0.1:{port} accepts connections"
        by_port = run(shell, scripts.TCP, env={**env, "PORT": str(port)})
        assert by_port.returncode == 0, by_port.stdout
    dead = closed_port()
    refused = run(shell, scripts.TCP, f"127.0.0.1:{dead}", env=env)
    assert refused.returncode == 1 and "onnection refused" in one_line(refused)
    v6 = run(shell, scripts.TCP, f"[::1]:{dead}", env=env)
    assert v6.returncode == 1 and f"::1:{dead}" in one_line(v6)


def test_tcp_sh_busybox_nc_quiet_server_is_connected(shell: list[str], busybox_wget: str) -> None:
    """busybox nc has no -z: a server that accepts and stays silent still counts as up."""
    with silent_server() as port:
        p = run(shell, scripts.TCP, f"127.0.0.1:{port}",
                env={"DOCKLINE_TCP_CLIENT": "nc", "PATH": busybox_wget, "HEALTHCHECK_TIMEOUT": "1"})
    assert p.returncode == 0 and "accepts connections" in one_line(p)


@pytest.mark.parametrize("target", ["nohostport", "h:", "h:99999", "h:x", "a;b:80", ""])
def test_tcp_sh_bad_target(shell: list[str], target: str) -> None:
    p = run(shell, scripts.TCP, *([target] if target else []))
    assert p.returncode == 1
    one_line(p)


# ---------------------------------------------------------------- postgres
@pytest.mark.parametrize("auth", ["trust", "md5"])
def test_postgres_sh_healthy(shell: list[str], auth: str) -> None:
    with fake_postgres(PgBehaviour(auth=auth)) as port:
        p = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port), "POSTGRES_PASSWORD": "s3cret-pw",
                                              "POSTGRES_USER": "app", "POSTGRES_DB": "appdb"})
    assert p.returncode == 0, p.stdout + p.stderr
    assert one_line(p) == (f"[HEALTHCHECK] healthy: postgres at 127.0.0.1:{port} (db appdb, user app) "
                           "answered SELECT 1")


def test_postgres_sh_password_file(shell: list[str], tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("s3cret-pw\n")
    with fake_postgres(PgBehaviour(auth="md5")) as port:
        ok = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port), "POSTGRES_PASSWORD_FILE": str(pw)})
        both = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port), "POSTGRES_PASSWORD_FILE": str(pw),
                                                 "POSTGRES_PASSWORD": "x"})
        missing = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port),
                                                    "POSTGRES_PASSWORD_FILE": str(tmp_path / "none")})
    assert ok.returncode == 0, ok.stdout
    assert both.returncode == 1 and "both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE" in one_line(both)
    assert missing.returncode == 1 and "cannot read" in one_line(missing)


def test_postgres_sh_wrong_password_clear_and_secret_free(shell: list[str]) -> None:
    with fake_postgres(PgBehaviour(auth="md5")) as port:
        p = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port), "POSTGRES_PASSWORD": "wrong-pass"})
    assert p.returncode == 1
    text = one_line(p)
    assert 'FATAL: password authentication failed for user "postgres"' in text
    assert "wrong-pass" not in p.stdout + p.stderr


def test_postgres_sh_not_ready(shell: list[str]) -> None:
    with fake_postgres(PgBehaviour(auth="fatal")) as port:
        starting = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port)})
    with fake_postgres(PgBehaviour(answer="2")) as port:
        wrong = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port)})
    refused = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(closed_port())})
    assert starting.returncode == 1 and "the database system is starting up" in one_line(starting)
    assert wrong.returncode == 1
    one_line(wrong)
    assert refused.returncode == 1 and "Connection refused" in one_line(refused)


# ---------------------------------------------------------------- hostile input and output
@pytest.mark.parametrize("value", ["0", "00", "000", "0s", "-1", "1.5", " 2", "1234567", "9" * 30])
@pytest.mark.parametrize("script", [scripts.HTTP, scripts.TCP, scripts.POSTGRES])
def test_sh_timeout_zero_or_odd_is_refused(shell: list[str], script: str, value: str) -> None:
    """timeout(1), curl and PGCONNECT_TIMEOUT read 0 as "no limit": every spelling of it is
    refused, as the Python probe refuses --timeout 0."""
    args = {scripts.HTTP: ["http://127.0.0.1:1/"], scripts.TCP: ["127.0.0.1:1"], scripts.POSTGRES: []}[script]
    p = run(shell, script, *args, env={"HEALTHCHECK_TIMEOUT": value})
    assert p.returncode == 1 and "HEALTHCHECK_TIMEOUT must be a positive whole number" in one_line(p)


def test_sh_timeout_leading_zero_is_decimal(shell: list[str], busybox_wget: str) -> None:
    # busybox nc gets $((timeout + 1)): "09" must not be read as (bad) octal
    p = run(shell, scripts.TCP, f"127.0.0.1:{closed_port()}", env={"HEALTHCHECK_TIMEOUT": "09",
                                                                  "DOCKLINE_TCP_CLIENT": "nc", "PATH": busybox_wget})
    assert p.returncode == 1 and "refused" in one_line(p)
    with silent_server() as port:
        q = run(shell, scripts.HTTP, f"http://127.0.0.1:{port}/", env={"HEALTHCHECK_TIMEOUT": "001"})
    assert q.returncode == 1 and "no answer within 1s (curl exit 28)" in one_line(q)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/\n[HEALTHCHECK] healthy: fine", "http://127.0.0.1:1/\x1b[2J",
                                 "http://127.0.0.1:1/a b", "http://127.0.0.1:1/\r"])
def test_sh_http_url_with_control_characters_is_refused(shell: list[str], url: str) -> None:
    p = run(shell, scripts.HTTP, url)
    assert p.returncode == 1 and "the URL contains a space or control character" in one_line(p)
    env = run(shell, scripts.HTTP, env={"HEALTHCHECK_URL": url})
    assert env.returncode == 1 and "control character" in one_line(env)


@pytest.mark.parametrize("client", ["bash", "curl", "nc"])
def test_sh_tcp_host_like_an_option_is_refused(shell: list[str], client: str, busybox_wget: str,
                                               tmp_path: Path) -> None:
    spy = tmp_path / "spy"
    fake = tmp_path / "nc"
    fake.write_text(f"#!/bin/sh\necho \"$*\" >> {spy}\n")
    fake.chmod(0o755)
    env = {"DOCKLINE_TCP_CLIENT": client, "PATH": f"{tmp_path}:{busybox_wget}"}
    for target in ("-e:80", "-lp1234:80", "[-x]:80"):
        p = run(shell, scripts.TCP, target, env=env)
        assert p.returncode == 1 and "not a host name or address" in one_line(p), target
    assert not spy.exists()


def test_sh_http_and_postgres_host_like_an_option_is_refused(shell: list[str]) -> None:
    http = run(shell, scripts.HTTP, "http://-oProxy=x:80/")
    assert http.returncode == 1 and "starts with '-'" in one_line(http)
    creds = run(shell, scripts.HTTP, "http://u:p@-x/")
    assert creds.returncode == 1 and "starts with '-'" in one_line(creds)
    pg = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_HOST": "-h"})
    assert pg.returncode == 1 and "starts with '-'" in one_line(pg)
    pg2 = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_HOST": "db\nx"})
    assert pg2.returncode == 1 and "HEALTHCHECK_HOST: not a host name" in one_line(pg2)


FORGED = "starting up\x1b[2J\x1b]0;owned\x07" + "x" * 5000 + "\n[HEALTHCHECK] healthy: all fine"


def test_sh_postgres_server_text_cannot_forge_a_line(shell: list[str]) -> None:
    with fake_postgres(PgBehaviour(auth="fatal", fatal_message=FORGED)) as port:
        p = run(shell, scripts.POSTGRES, env={"HEALTHCHECK_PORT": str(port)})
    assert p.returncode == 1
    text = one_line(p)
    assert "\x1b" not in text and "\x07" not in text and text.isprintable()
    assert "starting up\\x1b[2J\\x1b]0;owned\\x07xxx" in text and len(text.encode()) <= 1000 + len("... (cut)")
    assert text.endswith("... (cut)")


def test_sh_say_escapes_under_each_awk(shell: list[str], tmp_path: Path) -> None:
    """The escaping runs in the image's awk: busybox's as well as mawk/gawk."""
    awk = tmp_path / "awk"
    awk.symlink_to(shutil.which("busybox") or "/bin/busybox")
    for path in (os.environ["PATH"], f"{tmp_path}:{os.environ['PATH']}"):
        p = run(shell, scripts.TCP, "a\tb\x1b:80", env={"PATH": path})
        assert p.returncode == 1
        assert one_line(p) == "[HEALTHCHECK] unhealthy: not a host name or address in a\\tb\\x1b:80"


def test_the_twins_share_one_say() -> None:
    # Each twin is copied into images on its own, so say() is written into each; it must not
    # drift: the output-safety rules (escapes, cut) are the same in all three.
    import re
    from pathlib import Path

    import dockline

    sh = Path(dockline.__file__).parent / "data" / "sh"
    bodies = {}
    for name in ("dockline-health-http.sh", "dockline-health-tcp.sh", "dockline-health-postgres.sh"):
        m = re.search(r"^say\(\) \{\n.*?^\}\n", (sh / name).read_text(), re.DOTALL | re.MULTILINE)
        assert m, f"{name} has no say()"
        bodies[name] = m.group(0)
    assert len(set(bodies.values())) == 1, "say() differs between the sh twins"
