"""The CLI skeleton tells the truth: version, help, errors without tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dockline import __version__
from dockline.cli import cli
from dockline.errors import EXIT_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[3]


def test_version() -> None:
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0
    assert __version__ in r.output


def test_help_lists_engine_group() -> None:
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0
    assert "engine" in r.output


def test_unknown_command_is_usage_error() -> None:
    r = CliRunner().invoke(cli, ["no-such-command"])
    assert r.exit_code == 2


def test_engine_check_without_engine_is_one_line_exit_3() -> None:
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")
    p = subprocess.run([sys.executable, "-m", "dockline", "engine", "check"], env=env,
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == EXIT_ENVIRONMENT
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("error: cannot reach the Docker engine")
    assert "hint:" in p.stderr


def test_module_entry_point_runs() -> None:
    p = subprocess.run([sys.executable, "-m", "dockline", "--version"], capture_output=True, text=True, check=False,
                       timeout=60)
    assert p.returncode == 0 and __version__ in p.stdout


def test_testbed_without_engine_and_without_installer_fails_in_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock", DOCKLINE_NO_INSTALL="1",
               DOCKLINE_CACHE=str(tmp_path), DOCKLINE_DOCKERD="/nonexistent/dockerd")
    p = subprocess.run(["bash", str(ROOT / "scripts" / "testbed"), "up"], env=env, capture_output=True,
                       text=True, timeout=120, check=False)
    assert p.returncode == 3
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("testbed: error:")]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr


def test_testbed_default_socket_not_installable(tmp_path: Path) -> None:
    """With no engine on the default socket, no dockerd and no installer: exit 3, one clear line."""
    env = dict(os.environ, DOCKLINE_NO_INSTALL="1", DOCKLINE_CACHE=str(tmp_path),
               DOCKLINE_DOCKERD="/nonexistent/dockerd", DOCKER_HOST="unix:///var/run/docker.sock",
               PATH="/usr/bin:/bin")
    # Point the CLI at a dead socket through a config dir so the default socket's engine is not used.
    env["DOCKER_HOST"] = "unix:///var/run/docker.sock"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "docker").write_text("#!/bin/sh\nexit 1\n")
    (fake_bin / "docker").chmod(0o755)
    env["PATH"] = f"{fake_bin}:/usr/bin:/bin"
    p = subprocess.run(["bash", str(ROOT / "scripts" / "testbed"), "up"], env=env, capture_output=True,
                       text=True, timeout=120, check=False)
    assert p.returncode == 3, p.stderr
    assert "dockerd is not installed and docker.io could not be installed" in p.stderr
    assert "Traceback" not in p.stderr
