"""dockline-entrypoint.sh on the host under dash, busybox sh and bash: *_FILE, required
variables, templates, hooks, wait-for, user drop, and exec (the command replaces the shell,
so it would be PID 1 in a container and gets signals directly)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from dockline.health import scripts

SHELLS = {"dash": ["dash"], "busybox": ["busybox", "sh"], "bash": ["bash"]}
EP = str(scripts.script_path(scripts.ENTRYPOINT))


@pytest.fixture(params=sorted(SHELLS))
def shell(request: pytest.FixtureRequest) -> list[str]:
    return SHELLS[request.param]


@pytest.fixture()
def dirs(tmp_path: Path) -> dict[str, str]:
    """Template/hook folders that exist but are empty (defaults under /etc are not touched)."""
    for d in ("templates", "out", "hooks"):
        (tmp_path / d).mkdir()
    return {"DOCKLINE_TEMPLATE_DIR": str(tmp_path / "templates"), "DOCKLINE_TEMPLATE_OUT": str(tmp_path / "out"),
            "DOCKLINE_HOOKS_DIR": str(tmp_path / "hooks")}


def run(shell: list[str], *cmd: str, env: Mapping[str, str] | None = None,
        timeout: float = 30) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ["PATH"], **(env or {})}
    return subprocess.run([*shell, EP, *cmd], env=full, capture_output=True, text=True, timeout=timeout,
                          check=False)


def errors(p: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in p.stderr.splitlines() if ln.startswith("dockline-entrypoint: error:")]


# ---------------------------------------------------------------- *_FILE
def test_file_var_becomes_variable(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("s3cret\n")
    p = run(shell, "sh", "-c", 'echo "$DB_PASSWORD|${DB_PASSWORD_FILE-unset}"',
            env={**dirs, "DB_PASSWORD_FILE": str(secret)})
    assert p.returncode == 0, p.stderr
    assert p.stdout == "s3cret|unset\n"
    assert "s3cret" not in p.stderr


def test_file_var_both_set_is_one_line_error(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    secret = tmp_path / "pw"
    secret.write_text("x")
    p = run(shell, "true", env={**dirs, "PW": "y", "PW_FILE": str(secret)})
    assert p.returncode == 78
    assert errors(p) == ["dockline-entrypoint: error: both PW and PW_FILE are set; set only one"]


def test_file_var_unreadable(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    p = run(shell, "true", env={**dirs, "PW_FILE": str(tmp_path / "missing")})
    assert p.returncode == 78 and len(errors(p)) == 1 and "PW_FILE: cannot read" in errors(p)[0]


def test_file_vars_restricted_list(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    """With DOCKLINE_FILE_VARS only the listed names are read: LOG_FILE stays a path."""
    secret = tmp_path / "pw"
    secret.write_text("s")
    p = run(shell, "sh", "-c", 'echo "$PW $LOG_FILE"',
            env={**dirs, "DOCKLINE_FILE_VARS": "PW", "PW_FILE": str(secret), "LOG_FILE": "/var/log/app.log"})
    assert p.returncode == 0 and p.stdout == "s /var/log/app.log\n"
    bad = run(shell, "true", env={**dirs, "DOCKLINE_FILE_VARS": "a;rm"})
    assert bad.returncode == 78 and "not a variable name" in errors(bad)[0]


# ---------------------------------------------------------------- required
def test_required_missing_fails_with_one_line(shell: list[str], dirs: dict[str, str]) -> None:
    p = run(shell, "sh", "-c", "echo started", env={**dirs, "DOCKLINE_REQUIRED_ENV": "A B C", "B": "set"})
    assert p.returncode == 78
    assert p.stdout == ""  # the command never started
    assert errors(p) == ["dockline-entrypoint: error: required variable(s) not set: A C (set them, or NAME_FILE)"]
    ok = run(shell, "sh", "-c", "echo started", env={**dirs, "DOCKLINE_REQUIRED_ENV": "B", "B": "set"})
    assert ok.returncode == 0 and ok.stdout == "started\n"


# ---------------------------------------------------------------- templates
TEMPLATE = (
    "server_name ${SERVER_NAME};\n"
    "location $BASE_HREF { proxy_set_header Host $host; proxy_set_header X-Client-IP $remote_addr;\n"
    "  return 200 \"$GREETING ${UNSET_VAR} $1 $ cost\"; }\n"
)


def test_templates_touch_only_existing_variables(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    (tmp_path / "templates" / "site.conf.template").write_text(TEMPLATE)
    (tmp_path / "templates" / "ignored.txt").write_text("$SERVER_NAME")
    env = {**dirs, "SERVER_NAME": "example.org", "BASE_HREF": "/events/", "GREETING": r"a&b\1 /x|y"}
    p = run(shell, "true", env=env)
    assert p.returncode == 0, p.stderr
    out = (tmp_path / "out" / "site.conf").read_text()
    assert out == (
        "server_name example.org;\n"
        "location /events/ { proxy_set_header Host $host; proxy_set_header X-Client-IP $remote_addr;\n"
        "  return 200 \"a&b\\1 /x|y ${UNSET_VAR} $1 $ cost\"; }\n"
    )
    assert sorted(os.listdir(tmp_path / "out")) == ["site.conf"]


def test_templates_restricted_to_listed_variables(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    (tmp_path / "templates" / "a.conf.template").write_text("$SERVER_NAME $HOME\n")
    p = run(shell, "true", env={**dirs, "SERVER_NAME": "s", "HOME": "/root", "DOCKLINE_TEMPLATE_VARS": "SERVER_NAME"})
    assert p.returncode == 0
    assert (tmp_path / "out" / "a.conf").read_text() == "s $HOME\n"


def test_template_output_unwritable_fails(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    (tmp_path / "templates" / "a.conf.template").write_text("x\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    p = run(shell, "true", env={**dirs, "DOCKLINE_TEMPLATE_OUT": str(blocker / "sub")})
    assert p.returncode == 78 and len(errors(p)) == 1


# ---------------------------------------------------------------- hooks
def test_hooks_run_in_order(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    hooks = tmp_path / "hooks"
    (hooks / "10-first.sh").write_text("#!/bin/sh\necho first >> \"$TRACE\"\n")
    (hooks / "20-env.envsh").write_text("export FROM_HOOK=yes\n")
    (hooks / "30-plain.sh").write_text("#!/bin/sh\necho should-not-run >> \"$TRACE\"\n")
    (hooks / "40-last.sh").write_text("#!/bin/sh\necho \"last $FROM_HOOK\" >> \"$TRACE\"\n")
    for h in ("10-first.sh", "40-last.sh"):
        (hooks / h).chmod(0o755)
    trace = tmp_path / "trace"
    p = run(shell, "sh", "-c", 'echo "main $FROM_HOOK"', env={**dirs, "TRACE": str(trace)})
    assert p.returncode == 0, p.stderr
    assert trace.read_text() == "first\nlast yes\n"
    assert p.stdout == "main yes\n"
    assert "skipping" in p.stderr and "30-plain.sh" in p.stderr


def test_failing_hook_stops_start(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    hook = tmp_path / "hooks" / "10-fail.sh"
    hook.write_text("#!/bin/sh\nexit 4\n")
    hook.chmod(0o755)
    p = run(shell, "sh", "-c", "echo started", env=dirs)
    assert p.returncode == 78 and p.stdout == ""
    assert errors(p) == [f"dockline-entrypoint: error: hook {hook} failed (exit 4)"]


# ---------------------------------------------------------------- wait-for
@pytest.fixture()
def late_listener() -> Iterator[tuple[int, threading.Event]]:
    """A port that starts listening 1.5 s after the test starts."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    ready = threading.Event()

    def later() -> None:
        time.sleep(1.5)
        s.listen(8)
        ready.set()

    threading.Thread(target=later, daemon=True).start()
    yield port, ready
    s.close()


def test_wait_for_tcp_until_up(shell: list[str], dirs: dict[str, str],
                               late_listener: tuple[int, threading.Event]) -> None:
    port, ready = late_listener
    p = run(shell, "sh", "-c", "echo started", env={**dirs, "DOCKLINE_WAIT_FOR": f"tcp://127.0.0.1:{port}",
                                                    "DOCKLINE_WAIT_TIMEOUT": "20"})
    assert p.returncode == 0, p.stderr
    assert ready.is_set() and p.stdout == "started\n"


def test_wait_for_gives_up(shell: list[str], dirs: dict[str, str]) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = run(shell, "sh", "-c", "echo started", env={**dirs, "DOCKLINE_WAIT_FOR": f"tcp://127.0.0.1:{port}",
                                                    "DOCKLINE_WAIT_TIMEOUT": "2"})
    assert p.returncode == 78 and p.stdout == ""
    assert errors(p) == [(f"dockline-entrypoint: error: gave up waiting for tcp://127.0.0.1:{port} after 2s: "
                          f"unhealthy: 127.0.0.1:{port}: Connection refused")]
    bad = run(shell, "true", env={**dirs, "DOCKLINE_WAIT_FOR": "udp://x:1"})
    assert bad.returncode == 78 and "not tcp://HOST:PORT" in errors(bad)[0]


# ---------------------------------------------------------------- user and exec
def test_drop_to_user(shell: list[str], dirs: dict[str, str]) -> None:
    if os.getuid() != 0:
        pytest.fail("the test bed runs tests as root (needed to show the user drop)")
    p = run(shell, "id", "-u", env={**dirs, "DOCKLINE_USER": "nobody"})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "65534"
    bad = run(shell, "id", "-u", env={**dirs, "DOCKLINE_USER": "no-such-user-x"})
    assert bad.returncode == 78 and "no such user" in errors(bad)[0]
    inj = run(shell, "id", "-u", env={**dirs, "DOCKLINE_USER": "root;id"})
    assert inj.returncode == 78 and "not a user[:group]" in errors(inj)[0]


def test_no_command_is_an_error(shell: list[str], dirs: dict[str, str]) -> None:
    p = run(shell, env=dirs)
    assert p.returncode == 78 and "no command to run" in errors(p)[0]


def test_exec_replaces_the_shell_and_propagates_exit_code(shell: list[str], dirs: dict[str, str]) -> None:
    """`exec "$@"`: the command has the entrypoint's PID (PID 1 in a container) and its exit
    code is the entrypoint's."""
    proc = subprocess.Popen([*shell, EP, "sh", "-c", 'echo $$; exit 42'], env={"PATH": os.environ["PATH"], **dirs},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    assert int(out.strip()) == proc.pid
    assert proc.returncode == 42


def test_signal_reaches_the_command_directly(shell: list[str], tmp_path: Path, dirs: dict[str, str]) -> None:
    """SIGTERM to the entrypoint's PID reaches the command (no shell in between): the
    command's handler runs its 1 s cleanup and its exit code comes back."""
    ready = tmp_path / "ready"
    child = f'trap \'sleep 1; echo clean; exit 3\' TERM; touch {ready}; while :; do sleep 0.1; done'
    proc = subprocess.Popen([*shell, EP, "sh", "-c", child], env={"PATH": os.environ["PATH"], **dirs},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert out == "clean\n"
    assert proc.returncode == 3
