"""Whole stack files resolved by dockline and by ``docker stack config``, compared.

The oracle normalises what it prints (long port syntax, durations, sorted keys), so the two
sides are made comparable through the oracle itself: ``docker stack config`` of the original
files with the variables, against ``docker stack config`` of the document dockline resolved
(escaped, so the oracle's own interpolation leaves it alone) with no variables at all. Top-level
extension fields (``x-*``) are left out: docker keeps and interpolates them, dockline keeps
``x-dockline`` for its hooks uninterpolated on purpose (hooks read their own environment).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockline.stack.compose import escape_dollars, load_stack

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def docker_cli() -> str:
    """A docker CLI that has ``stack config`` (Debian's 20.10 client does not)."""
    for candidate in (shutil.which("docker"), "/usr/local/bin/docker", "/usr/bin/docker"):
        if candidate and Path(candidate).exists():
            p = subprocess.run([candidate, "stack", "config", "--help"], capture_output=True, text=True,
                               timeout=30, check=False)
            if p.returncode == 0:
                return candidate
    raise AssertionError("no docker CLI with `docker stack config` (the oracle); the machine's docker 28 has it")


def oracle(files: list[Path], env: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    args = [docker_cli(), "stack", "config"]
    for f in files:
        args += ["-c", str(f)]
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "DOCKER_HOST": "unix:///nonexistent.sock"}
    p = subprocess.run(args, capture_output=True, text=True, env={**base, **env}, cwd=cwd, timeout=30, check=False)
    assert p.returncode == 0, p.stderr
    doc = yaml.safe_load(p.stdout)
    return {k: v for k, v in doc.items() if not str(k).startswith("x-")}


def dockline_via_oracle(files: list[Path], env: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    stack = load_stack(files, environ=env)
    doc = {k: v for k, v in stack.doc.items() if not str(k).startswith("x-")}
    resolved = cwd / "dockline-resolved.yml"  # beside the originals: relative paths resolve alike
    resolved.write_text(yaml.safe_dump(escape_dollars(doc)))
    return oracle([resolved], {}, cwd)


def copy_example(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest)
    return dest


EXAMPLE_CASES = [
    ("stack-demo", {}),
    ("stack-demo", {"WEB_IMAGE": "reg.example:5000/web@sha256:" + "a" * 64, "WEB_PORT": "8080"}),
    ("router-demo", {"APP_IMAGE": "app:1", "APP_PATH": "/app-a", "APP_REPLICAS": "3"}),
    ("eventpage", {"PAGE_IMAGE": "page:1", "SERVICE_IMAGE": "svc:2", "DB_IMAGE": "db:3",
                   "ROUTER_NETWORK": "edge-net", "SECRETS_DIR": "./s"}),
]


@pytest.mark.parametrize(("example", "env"), EXAMPLE_CASES)
def test_examples_resolve_like_docker_stack_config(example: str, env: dict[str, str], tmp_path: Path) -> None:
    d = copy_example(example, tmp_path)
    (d / "s").mkdir(exist_ok=True)
    assert dockline_via_oracle([d / "stack.yml"], env, d) == oracle([d / "stack.yml"], env, d)


BASE = """\
version: "3.8"
services:
  web:
    image: ${IMAGE:-nginx}:${TAG:-1}
    environment:
      A: "1"
      COST: "$$5"
      URL: http://${HOST:-localhost}:${PORT}/x
    labels:
      keep: "yes"
    deploy:
      replicas: ${REPLICAS:-1}
      labels:
        dockline.route: /web
    ports:
      - "${PORT:-80}:80"
"""
OVERRIDE = """\
version: "3.8"
services:
  web:
    environment:
      - A=2
      - B=${B-unset-default}
    labels:
      extra: ${EXTRA}
    deploy:
      replicas: 3
  worker:
    image: worker:${TAG}
    command: ["sh", "-c", "echo $$HOME ${GREETING:-hi}"]
"""
MERGE_CASES = [
    {},
    {"TAG": "2", "PORT": "8080", "HOST": "h", "B": "", "EXTRA": "x", "GREETING": "hello world"},
    {"IMAGE": "reg:5000/app", "TAG": "3", "REPLICAS": "2", "EXTRA": "é ü"},
]


@pytest.mark.parametrize("env", MERGE_CASES)
def test_merged_files_resolve_like_docker_stack_config(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "override.yml").write_text(OVERRIDE)
    files = [tmp_path / "base.yml", tmp_path / "override.yml"]
    assert dockline_via_oracle(files, env, tmp_path) == oracle(files, env, tmp_path)
