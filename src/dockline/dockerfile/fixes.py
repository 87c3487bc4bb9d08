"""Apply rule fixes to Dockerfile text: minimal edits, every other byte kept.

:func:`fix_text` lints, applies the (safe, optionally unsafe) fixes that do not
overlap, re-parses and repeats until nothing changes.  It stops with an error if the
fixes do not settle or the result no longer parses -- the property the fix tests
check on every fixable rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from dockline.dockerfile.check import RuleSettings, check_dockerfile
from dockline.dockerfile.findings import Edit, Finding, FixSafety
from dockline.dockerfile.model import Dockerfile
from dockline.dockerfile.parser import parse as parse_dockerfile
from dockline.errors import DockerfileSyntaxError

MAX_ROUNDS = 10


class FixesDidNotSettle(RuntimeError):
    """Fixes kept changing the file (a bug in a rule's fix)."""


@dataclass(frozen=True)
class FixOutcome:
    """The fixed text and how many fixes went in."""

    text: str
    applied: int
    rounds: int


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, int]:
    """Apply non-overlapping edits (later ones that overlap an earlier are dropped).
    Columns count characters of the line; a CR before LF is never touched."""
    starts = _line_starts(text)

    def off(line: int, col: int) -> int:
        if line < 1 or line > len(starts):
            raise ValueError(f"edit outside the text (line {line})")
        base = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(text)
        if end > base and text[end - 1] == "\r":
            end -= 1
        return min(base + col - 1, end)

    spans = []
    for e in edits:
        a, b = off(e.line, e.col), off(e.end_line, e.end_col)
        if b < a:
            raise ValueError("edit ends before it starts")
        spans.append((a, b, e.text))
    spans.sort(key=lambda s: (s[0], s[1]))
    kept: list[tuple[int, int, str]] = []
    last_end = -1
    for a, b, t in spans:
        if a < last_end or (kept and a == kept[-1][0] and a == b and kept[-1][0] == kept[-1][1]):
            continue
        kept.append((a, b, t))
        last_end = b
    out = text
    for a, b, t in reversed(kept):
        out = out[:a] + t + out[b:]
    return out, len(kept)


def fixes_to_apply(findings: Iterable[Finding], unsafe: bool) -> list[Edit]:
    edits: list[Edit] = []
    for f in findings:
        if f.fix is None:
            continue
        if f.fix.safety is FixSafety.UNSAFE and not unsafe:
            continue
        edits.extend(f.fix.edits)
    return edits


def fix_text(
    text: str,
    path: str | None = None,
    *,
    settings: RuleSettings | None = None,
    unsafe: bool = False,
    files: Mapping[str, str] | None = None,
    parse: Callable[[str, str | None], Dockerfile] | None = None,
) -> FixOutcome:
    """Fix ``text`` until it settles.  Raises :class:`DockerfileSyntaxError` when the
    input does not parse, :class:`FixesDidNotSettle` when fixes loop or break the file."""
    if parse is None:
        parse = parse_dockerfile
    applied = 0
    current = text
    df = parse(current, path)
    for rounds in range(1, MAX_ROUNDS + 1):
        findings = check_dockerfile(df, settings, files=files)
        edits = fixes_to_apply(findings, unsafe)
        if not edits:
            return FixOutcome(current, applied, rounds - 1)
        new, n = apply_edits(current, edits)
        if new == current:
            return FixOutcome(current, applied, rounds - 1)
        try:
            df = parse(new, path)
        except DockerfileSyntaxError as e:
            raise FixesDidNotSettle(f"a fix produced a file that does not parse: {e}") from None
        current = new
        applied += n
    raise FixesDidNotSettle(f"fixes did not settle after {MAX_ROUNDS} rounds")
