"""``dockline docs``: reference text shipped with dockline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from dockline import output


@click.group("docs")
def docs_group() -> None:
    """Print reference documents shipped with dockline."""


@docs_group.command("config")
def config_doc() -> None:
    """The commented example settings file (dockline.yaml), with every default."""
    from dockline.config import example_text

    output.emit_text(example_text())


def _shown(value: Any) -> Any:
    from dockline.durations import format_duration

    return format_duration(value) if isinstance(value, timedelta) else value


@docs_group.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def settings_doc(as_json: bool) -> None:
    """The settings in force here and where each value came from
    (default < dockline.yaml < DOCKLINE_<SECTION>_<KEY> environment)."""
    from dataclasses import asdict

    from dockline.config import env_var, resolve_settings

    loaded = resolve_settings()
    data = asdict(loaded.settings)
    if as_json:
        output.emit_json({"file": loaded.file, "settings": data, "sources": loaded.sources,
                          "env": {path: env_var(path) for path in loaded.sources},
                          "derived": {"router.network": loaded.settings.router.network}})
        return
    rows = []
    for sec, vals in data.items():
        for key, value in vals.items():
            path = f"{sec}.{key}"
            source = loaded.sources[path]
            if path in loaded.variables and loaded.variables[path] != env_var(path):  # an alias
                source = f"{source} ({loaded.variables[path]})"
            rows.append([path, _shown(value), source, env_var(path)])
    output.table(f"settings (file: {loaded.file or 'none'})", ["key", "value", "source", "variable"], rows)
    output.info(f"derived: router.network {loaded.settings.router.network} (<router.name>-net)")


def register(cli: click.Group) -> None:
    cli.add_command(docs_group)
