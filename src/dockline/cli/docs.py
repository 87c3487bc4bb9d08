"""``dockline docs``: reference text shipped with dockline."""

from __future__ import annotations

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


@docs_group.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def settings_doc(as_json: bool) -> None:
    """The settings in force here (defaults < dockline.yaml < DOCKLINE_* environment)."""
    from dataclasses import asdict

    from dockline.config import config_path, load_settings

    s = load_settings()
    data = asdict(s)
    if as_json:
        output.emit_json({"file": config_path(), "settings": data})
        return
    rows = [[f"{sec}.{k}", v] for sec, vals in data.items() for k, v in vals.items()]
    output.table(f"settings (file: {config_path() or 'none'})", ["key", "value"], rows)


def register(cli: click.Group) -> None:
    cli.add_command(docs_group)
