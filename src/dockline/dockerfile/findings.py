"""What linting produces: severities, findings, their fixes, and one file's result.

Pure value types, shared by the rules (:class:`Hit`, :class:`Fix`, :class:`Edit`), the
engine (:class:`Finding`, :class:`FileResult`) and the renderers.  The names users write
for severities are :mod:`~dockline.dockerfile.vocabulary`'s.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from dockline.dockerfile.model import Position


class Severity(enum.IntEnum):
    """Finding severity; higher is worse.  ``NONE`` only as a threshold/override."""

    NONE = 0  # "ignore": never reported
    STYLE = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``error|warning|info|style|ignore|none`` → Severity (ValueError otherwise)."""
        t = text.strip().lower()
        if t in ("ignore", "none", "off"):
            return cls.NONE
        try:
            return cls[t.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning, info, style or none") from None

    @property
    def label(self) -> str:
        return "ignore" if self is Severity.NONE else self.name.lower()


class FixSafety(enum.Enum):
    """Whether a rule can fix what it finds, and how safely."""

    NONE = "none"
    SAFE = "safe"  # the meaning of the Dockerfile is kept
    UNSAFE = "unsafe"  # may change behaviour; applied only with --unsafe-fixes


@dataclass(frozen=True)
class Edit:
    """Replace source text from (line, col) up to (end_line, end_col) (1-based, end exclusive)."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A set of edits that fixes one finding."""

    safety: FixSafety
    description: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Hit:
    """What a rule yields: where and what; the engine adds id and severity."""

    pos: Position
    message: str
    fix: Fix | None = None
    end_line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One reported problem."""

    rule: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    name: str = ""
    fix: Fix | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)  # the physical source line

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.rule,
            "name": self.name,
            "level": self.severity.label,
            "message": self.message,
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "fixable": None if self.fix is None else self.fix.safety.value,
        }


@dataclass(frozen=True)
class FileResult:
    """What linting one input gave: findings, or the error that stopped it."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # message when the file could not be read or parsed
    error_line: int | None = None
    error_column: int | None = None
    fixed: int = 0  # fixes applied (with --fix)
    original: str | None = field(default=None, repr=False)  # text before fixes (for --diff)
    fixed_text: str | None = field(default=None, repr=False)


@functools.lru_cache(maxsize=1024)
def rule_order(rule_id: str) -> tuple[str, int]:
    """Sort key of a rule id: prefix, then number (``DL3008`` before ``DL3010``, ``DKL`` before ``DL``)."""
    m = re.match(r"([A-Z]+)(\d+)", rule_id)
    return (m.group(1), int(m.group(2))) if m else (rule_id, 0)
