"""Command-line entry point. Thin: parse, call the core, hand results to ``output``.

Each module in this package registers its commands with ``register(group)``; modules
are discovered, so adding a command group never edits this file.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
import traceback
from typing import Any

import click

from dockline import __version__, output
from dockline.errors import EXIT_INTERNAL, DocklineError

log = logging.getLogger("dockline")


class DocklineGroup(click.Group):
    """A click group that turns every error into one line plus a hint and an exit code."""

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
        return None


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


def _register_all() -> None:
    pkg = sys.modules[__name__]
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(cli)


_register_all()


def main() -> None:
    """Console-script entry point (click usage errors exit 2, like bad input)."""
    cli.main(prog_name="dockline")
