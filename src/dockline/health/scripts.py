"""The POSIX-sh twins shipped as package data (stable names: images and examples use them)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

HTTP = "dockline-health-http.sh"
TCP = "dockline-health-tcp.sh"
POSTGRES = "dockline-health-postgres.sh"
ENTRYPOINT = "dockline-entrypoint.sh"
ALL = (HTTP, TCP, POSTGRES, ENTRYPOINT)
PROBES = {"http": HTTP, "tcp": TCP, "postgres": POSTGRES}


def script_text(name: str) -> str:
    """The text of one shipped script."""
    if name not in ALL:
        raise KeyError(name)
    return resources.files("dockline").joinpath("data", "sh", name).read_text()


def script_path(name: str) -> Path:
    """Filesystem path of one shipped script (the package is installed as files)."""
    if name not in ALL:
        raise KeyError(name)
    return Path(str(resources.files("dockline").joinpath("data", "sh", name)))
