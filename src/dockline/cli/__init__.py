"""Command-line entry point. Thin: parse, call the core, hand results to ``output``.

Each module in this package registers its commands with ``register(group)``. Modules are
imported lazily, only when one of their commands runs (the docker SDK alone costs ~0.3 s to
import, and a lint run or a health probe must not pay for it): ``COMMANDS`` maps each
top-level command to its module, and a test checks it against what the modules register.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from typing import Any

import click

from dockline import __version__, output
from dockline.errors import EXIT_INTERNAL, DocklineError

log = logging.getLogger("dockline")


# top-level command -> the module whose register() adds it
COMMANDS: dict[str, str] = {
    "build": "image",
    "cluster": "cluster",
    "demo": "demo",
    "deploy": "deploy",
    "docs": "docs",
    "engine": "engine",
    "health": "health",
    "history": "deploy",
    "lint": "lint",
    "poll": "router",
    "push": "image",
    "rm": "deploy",
    "rollback": "deploy",
    "route": "router",
    "router": "router",
    "routes": "router",
    "scaffold": "image",
    "status": "deploy",
    "verify": "image",
}


def load_module_commands(module: str) -> dict[str, click.Command]:
    """Import ``dockline.cli.<module>`` and return the commands its ``register`` adds."""
    mod = importlib.import_module(f"{__name__}.{module}")
    holder = click.Group()
    mod.register(holder)
    return dict(holder.commands)


class DocklineGroup(click.Group):
    """A click group that loads command modules lazily and turns every error into one line
    plus a hint and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            for name, command in load_module_commands(COMMANDS[cmd_name]).items():
                self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug")) or os.environ.get("DOCKLINE_DEBUG") == "1"
        try:
            return super().invoke(ctx)
        except DocklineError as e:
            if debug:
                traceback.print_exc()
            output.error(e.message, e.hint)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            output.error("interrupted")
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)
        except Exception as e:  # noqa: BLE001 - last line of defence: no traceback for users
            if debug:
                traceback.print_exc()
            output.error(
                f"internal error: {type(e).__name__}: {e}",
                "this is a bug in dockline; re-run with --debug for the traceback and report it",
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=DocklineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dockline")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """dockline: Dockerfile to production on Docker Swarm behind nginx.

    Exit codes: 0 success, 1 the job failed, 2 bad input (nothing changed),
    3 environment (no engine, not a manager, quorum lost).
    """
    level = os.environ.get("DOCKLINE_LOG_LEVEL", "DEBUG" if debug else "WARNING").upper()
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    """Console-script entry point (click usage errors exit 2, like bad input)."""
    cli.main(prog_name="dockline")
