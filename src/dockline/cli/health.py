"""``dockline health http|tcp|postgres|exec``: Docker healthcheck probes.

Contract (Docker's): one ``[HEALTHCHECK] ...`` line on stdout, exit 0 (healthy) or 1.
Never 2 (Docker reserves it) and never a traceback: usage errors, bad settings and
unexpected failures all become one unhealthy line and exit 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import click

from dockline import output
from dockline.cli._options import POSITIVE_DURATION
from dockline.errors import DocklineError
from dockline.health import (
    PostgresTarget,
    ProbeOutcome,
    SettingsError,
    Unhealthy,
    exit_code,
    line,
    parse_target,
    probe_exec,
    probe_http,
    probe_postgres,
    probe_tcp,
    settings_from_env,
)


def _fail_line(message: str) -> None:
    output.emit_text(line(Unhealthy(message, timedelta(0))))


class _ProbeCommand(click.Command):
    """A command whose usage errors are an unhealthy line and exit 1 (not click's 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            _fail_line(f"usage: {e.format_message()} (see `dockline health {self.name} --help`)")
            raise click.exceptions.Exit(1) from None


class _ProbeGroup(click.Group):
    """The ``health`` group: an unknown probe name is also exit 1 with a line."""

    command_class = _ProbeCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            _fail_line("usage: dockline health http|tcp|postgres|exec ... (see `dockline health --help`)")
            raise click.exceptions.Exit(1)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            _fail_line(f"usage: {e.format_message()}")
            raise click.exceptions.Exit(1) from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as e:
            _fail_line(f"usage: {e.format_message()} (probes: http, tcp, postgres, exec)")
            raise click.exceptions.Exit(1) from None


def _run(probe: Callable[[], ProbeOutcome]) -> None:
    try:
        outcome = probe()
    except DocklineError as e:
        outcome = Unhealthy(e.message, timedelta(0))
    except SettingsError as e:
        outcome = Unhealthy(str(e), timedelta(0))
    except Exception as e:  # noqa: BLE001 - a probe never shows a traceback
        outcome = Unhealthy(f"probe failed: {type(e).__name__}: {e}", timedelta(0))
    output.emit_text(line(outcome))
    raise click.exceptions.Exit(exit_code(outcome))


def _statuses(values: Sequence[str]) -> list[int]:
    out: list[int] = []
    for v in values:
        for part in re.split(r"[,\s]+", v.strip()):
            if not part:
                continue
            if not re.fullmatch(r"[1-5][0-9][0-9]", part):
                raise SettingsError(f"--status: not an HTTP status code: {part}")
            out.append(int(part))
    return out or [200]


_timeout_option = click.option("--timeout", default="3s", show_default=True, type=POSITIVE_DURATION,
                               help="How long the probe may take (e.g. 3s, 500ms).")


@click.group("health", cls=_ProbeGroup)
def health_group() -> None:
    """Healthcheck probes: one [HEALTHCHECK] line, exit 0 (healthy) or 1.

    Inside images without Python use the sh twins that `dockline scaffold` writes.
    """


@health_group.command("http")
@click.argument("url")
@click.option("--status", "statuses", multiple=True, metavar="CODES",
              help="Accepted status codes, e.g. 200 or 200,204 (repeatable; default 200).")
@click.option("--host-header", default=None, help="Host header to send.")
@click.option("--insecure", is_flag=True, help="Do not verify the TLS certificate.")
@_timeout_option
def http_cmd(url: str, statuses: tuple[str, ...], host_header: str | None, insecure: bool,
             timeout: timedelta) -> None:
    """GET URL once (User-Agent: Internal Healthcheck; redirects not followed)."""
    _run(lambda: probe_http(url, expected=_statuses(statuses), host_header=host_header,
                            timeout=timeout, verify_tls=not insecure))


@health_group.command("tcp")
@click.argument("target", metavar="HOST:PORT")
@_timeout_option
def tcp_cmd(target: str, timeout: timedelta) -> None:
    """Healthy when HOST:PORT accepts a TCP connection."""

    def probe() -> ProbeOutcome:
        try:
            host, port = parse_target(target)
        except ValueError as e:
            raise SettingsError(str(e)) from None
        return probe_tcp(host, port, timeout=timeout)

    _run(probe)


@health_group.command("postgres")
@click.option("--host", default="127.0.0.1", show_default=True, help="Server address (TCP).")
@click.option("--port", type=int, default=None, help="Port (default $PGPORT or 5432).")
@click.option("--user", default=None, help="User (default $POSTGRES_USER[_FILE] or postgres).")
@click.option("--db", "database", default=None, help="Database (default $POSTGRES_DB[_FILE] or the user).")
@click.option("--sslmode", default=None,
              help="disable | prefer | require | verify-ca | verify-full (default $PGSSLMODE or prefer).")
@click.option("--sslrootcert", default=None, help="CA file for verify-ca/verify-full (default $PGSSLROOTCERT).")
@_timeout_option
def postgres_cmd(host: str, port: int | None, user: str | None, database: str | None,
                 sslmode: str | None, sslrootcert: str | None, timeout: timedelta) -> None:
    """Connect over TCP and run SELECT 1 (healthy when it answers 1).

    The password comes from POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE only (never a flag,
    so it is not in the process list), and is never printed.
    """

    def probe() -> ProbeOutcome:
        target: PostgresTarget = settings_from_env(host=host, port=port, user=user, database=database,
                                                   sslmode=sslmode, sslrootcert=sslrootcert)
        return probe_postgres(target, timeout=timeout)

    _run(probe)


@health_group.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--timeout", default="10s", show_default=True, type=POSITIVE_DURATION,
              help="How long the command may run.")
def exec_cmd(command: tuple[str, ...], timeout: timedelta) -> None:
    """Run COMMAND (after --); healthy when it exits 0. No shell is involved."""
    _run(lambda: probe_exec(list(command), timeout=timeout))


def register(cli: click.Group) -> None:
    cli.add_command(health_group)
