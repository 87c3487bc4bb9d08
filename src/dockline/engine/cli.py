"""The docker CLI as a subprocess (argument lists, never a shell), for what only the CLI
does: ``docker stack deploy``'s compose converter, and the lab's ``docker -H`` calls."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from datetime import timedelta

from dockline.engine.base import ApiBase
from dockline.errors import EngineTimeout, EngineUnavailable


def run_cli(
    args: Sequence[str],
    *,
    timeout: timedelta,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``docker ARGS`` within ``timeout``; raises ``EngineUnavailable`` without the CLI,
    ``EngineTimeout`` past the deadline. A non-zero exit is the caller's to judge."""
    exe = shutil.which("docker")
    if exe is None:
        raise EngineUnavailable("the docker CLI is not installed", "install docker.io (scripts/testbed up)")
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        return subprocess.run(
            [exe, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout.total_seconds(),
            env=full_env,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise EngineTimeout(f"`docker {' '.join(args[:3])}` did not finish in time") from e


class CliMixin(ApiBase):
    """``Engine.cli``: the docker CLI with the engine's deadline (four times the API's)."""

    def cli(
        self,
        args: Sequence[str],
        *,
        input: str | None = None,
        timeout: timedelta | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI with an argument list (never a shell)."""
        return run_cli(args, input=input, timeout=timeout or self.timeout * 4, env=env, cwd=cwd)
