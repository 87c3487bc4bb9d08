"""Registration is checked, not remembered: the lazy command table matches the modules."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import dockline.cli as cli_pkg
from dockline.cli import COMMANDS, load_module_commands


def test_every_cli_module_command_is_in_the_table_and_nothing_else() -> None:
    registered: dict[str, str] = {}
    for mod in pkgutil.iter_modules(cli_pkg.__path__):
        if mod.name.startswith("_"):
            continue
        for name in load_module_commands(mod.name):
            assert name not in registered, f"{name} registered by {registered.get(name)} and {mod.name}"
            registered[name] = mod.name
    assert registered == COMMANDS


def test_startup_does_not_import_the_docker_sdk() -> None:
    code = "import sys; from dockline.cli import cli; print('docker' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
