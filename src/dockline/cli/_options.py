"""Click parameter types shared by every command: one vocabulary for users."""

from __future__ import annotations

from datetime import timedelta

import click

from dockline.durations import EXAMPLES, parse_duration, parse_positive_duration
from dockline.errors import ConfigError


class DurationParam(click.ParamType):
    """A ``--timeout``/``--interval``/``--deadline`` value: ``90``, ``90s``, ``2m``, ``1m30s``.

    ``positive`` refuses 0 (a timeout that never waits). Usage errors exit 2 like every other
    bad flag.
    """

    name = "duration"

    def __init__(self, positive: bool = False) -> None:
        self.positive = positive

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        key = f"--{param.name.replace('_', '-')}" if param is not None and param.name else "value"
        parse = parse_positive_duration if self.positive else parse_duration
        try:
            return parse(value if isinstance(value, (int, float)) else str(value), key)
        except ConfigError as e:
            self.fail(e.message.removeprefix(f"{key}: "), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DURATION"

    def __repr__(self) -> str:
        return f"DURATION (like {EXAMPLES})"


DURATION = DurationParam()
POSITIVE_DURATION = DurationParam(positive=True)
