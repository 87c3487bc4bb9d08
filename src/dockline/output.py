"""The only place that prints.

Summaries and progress for people go to stderr (rich); machine output (json, sarif, ...)
goes to stdout. Commands build data, then hand it here.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # rich is imported on first use: a lint run or a probe must start fast
    from rich.console import Console

_stderr: Console | None = None
_stdout: Console | None = None


def err_console() -> Console:
    """Rich console on stderr (people)."""
    global _stderr
    from rich.console import Console

    if _stderr is None or _stderr.file is not sys.stderr:
        _stderr = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    return _stderr


def out_console() -> Console:
    """Rich console on stdout (for commands whose primary output is for people)."""
    global _stdout
    from rich.console import Console

    if _stdout is None or _stdout.file is not sys.stdout:
        _stdout = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    return _stdout


def _default(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(data: Any) -> str:
    """Serialise dataclasses, timedeltas (seconds), datetimes and enums."""
    return json.dumps(data, default=_default, indent=2, sort_keys=False)


def emit_json(data: Any, stream: TextIO | None = None) -> None:
    """Machine output on stdout."""
    s = stream or sys.stdout
    s.write(to_json(data) + "\n")
    s.flush()


def emit_text(text: str, stream: TextIO | None = None) -> None:
    """Raw text (a generated document, a diff, a sarif file) on stdout."""
    s = stream or sys.stdout
    s.write(text if text.endswith("\n") or not text else text + "\n")
    s.flush()


def info(message: str) -> None:
    """A line for people, on stderr."""
    err_console().print(message, markup=False)


def rich(message: str) -> None:
    """A line with rich markup, on stderr."""
    err_console().print(message)


def success(message: str) -> None:
    """A success line on stderr."""
    err_console().print(f"[green]✓[/green] {_escape(message)}")


def warn(message: str) -> None:
    """A warning line on stderr."""
    err_console().print(f"[yellow]warning:[/yellow] {_escape(message)}")


def failure(message: str) -> None:
    """A failure line (not an error exit by itself) on stderr."""
    err_console().print(f"[red]✗[/red] {_escape(message)}")


def error(message: str, hint: str | None = None) -> None:
    """``error: message`` plus the hint, on stderr."""
    c = err_console()
    c.print(f"[bold red]error:[/bold red] {_escape(message)}")
    if hint:
        c.print(f"[dim]hint:[/dim] {_escape(hint)}")


def table(title: str | None, columns: list[str], rows: list[list[Any]], *, stdout: bool = True) -> None:
    """A table for people (stdout by default: it is the command's primary output)."""
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*["" if v is None else _escape(str(v)) for v in row])
    (out_console() if stdout else err_console()).print(t)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def is_tty() -> bool:
    """Whether stderr is a terminal (live progress only then)."""
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
