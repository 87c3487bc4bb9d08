"""Dockerfile semantics: variable expansion, stages and ARG/ENV scoping.

Public API:

* :func:`expand` ``(word, env, escape="\\\\") -> str`` -- BuildKit's word expansion:
  quote removal, escapes, ``$var``, ``${var}``, ``${var:-w}``, ``${var-w}``,
  ``${var:+w}``, ``${var+w}``, ``${var:?msg}``, ``${var?msg}``, ``${var#pat}``,
  ``${var##pat}``, ``${var%pat}``, ``${var%%pat}``, ``${var/pat/rep}``,
  ``${var//pat/rep}`` (glob ``*`` and ``?``; ``\\*`` and ``\\?`` literal).  An escaped
  ``\\$`` and single-quoted text stay literal.  Raises :class:`ExpansionError`.
* :func:`expand_words` -- the same, split into words after expansion (as BuildKit
  splits ``COPY``/``ADD``/``EXPOSE`` arguments).
* :func:`expansion` -- the full :class:`Expansion` result, with the variable names
  that were found (``matched``) and not found (``unmatched``) for linting.
* :class:`Lexer` -- the configurable lexer behind these.
* :func:`global_env` -- the values of the global ARGs (those before the first FROM),
  as used to expand FROM lines.
* :func:`stage_scopes` / :func:`stage_env` -- for every instruction of a stage, the
  variables visible when BuildKit expands that instruction (ARG and ENV so far,
  inherited from the parent stage when the stage is built FROM an earlier one).
* :func:`build_stages` -- used by the parser to fill ``Dockerfile.stages``.

Scoping follows the Dockerfile reference: global ARGs are visible only in FROM
unless re-declared (``ARG NAME``) inside a stage; an ARG is in effect from its
line on; ENV overrides an ARG of the same name; within one instruction every
substitution uses the values from before that instruction (``ENV a=x b=$a`` gives
``b`` the old ``a``).  Build arguments can be passed as ``build_args``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from dockline.dockerfile.model import Dockerfile, Instruction, Stage

__all__ = [
    "BUILDKIT_ARGS",
    "EXPANDING_INSTRUCTIONS",
    "PLATFORM_ARGS",
    "PROXY_ARGS",
    "Expansion",
    "ExpansionError",
    "Lexer",
    "Scope",
    "all_scopes",
    "build_stages",
    "expand",
    "expand_words",
    "expansion",
    "final_scope",
    "global_env",
    "lineage_times",
    "stage_env",
    "stage_scopes",
]

#: ARGs predefined by Docker: usable without declaration (values come from --build-arg).
#: A tuple, in the reference's order: the ShellCheck scripts export them in this order.
PROXY_ARGS: tuple[str, ...] = (
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
)  # fmt: skip
#: Automatic platform ARGs (global scope; their values depend on the build).
PLATFORM_ARGS = frozenset(
    {
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
        "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    }
)  # fmt: skip
#: ARGs BuildKit itself reads (build options, not the image's): usable without declaration.
BUILDKIT_ARGS = frozenset(
    {
        "BUILDKIT_SYNTAX", "SOURCE_DATE_EPOCH", "BUILDKIT_INLINE_CACHE", "BUILDKIT_MULTI_PLATFORM",
        "BUILDKIT_SANDBOX_HOSTNAME", "BUILDKIT_CONTEXT_KEEP_GIT_DIR", "BUILDKIT_DOCKERFILE_CHECK",
    }
)  # fmt: skip
#: Instructions whose arguments BuildKit expands (RUN/CMD/ENTRYPOINT are left to the shell):
#: the Dockerfile reference's list (§Environment replacement) plus ARG, whose defaults BuildKit
#: expands too.  An ONBUILD trigger is expanded when it runs, in the later build.
EXPANDING_INSTRUCTIONS = frozenset(
    {
        "ADD",
        "COPY",
        "ENV",
        "EXPOSE",
        "FROM",
        "LABEL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
        "ARG",
    }
)

_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_REGEX_META = frozenset("[]{}.+()|^$")


class ExpansionError(ValueError):
    """A word could not be expanded (bad substitution, unterminated quote, ${x:?})."""


@dataclass(frozen=True)
class Expansion:
    """The result of expanding one word."""

    result: str
    words: tuple[str, ...]
    matched: frozenset[str]  # variables looked up and found
    unmatched: frozenset[str]  # variables looked up and not found
    # unmatched variables whose absence changed the result (plain $x / ${x} / #,%,/ forms;
    # not those guarded by -, +, ?)
    unset_used: frozenset[str] = field(default=frozenset())


class _Words:
    __slots__ = ("buf", "in_word", "words")

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _GO_SPACE:
            if self.in_word and "".join(self.buf):
                self.words.append("".join(self.buf))
                self.buf = []
                self.in_word = False
        else:
            self.buf.append(ch)
            self.in_word = True

    def add_raw(self, s: str) -> None:
        self.buf.append(s)
        self.in_word = True

    def get(self) -> list[str]:
        last = "".join(self.buf)
        if last:
            self.words.append(last)
            self.buf = []
            self.in_word = False
        return self.words


class _Run:
    """One expansion in progress (BuildKit's shellWord)."""

    def __init__(self, lexer: Lexer, text: str, env: Mapping[str, str]):
        self.lx = lexer
        self.s = text
        self.i = 0
        self.n = len(text)
        self.env = env
        self.raw_escapes = lexer.raw_escapes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()
        self.unset_used: set[str] = set()

    # -- helpers
    def lookup(self, name: str, guarded: bool) -> tuple[str, bool]:
        value = self.env.get(name)
        if value is None:
            self.unmatched.add(name)
            if not guarded:
                self.unset_used.add(name)
            return "", False
        self.matched.add(name)
        return value, True

    def stop_on(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on(self, stop: str | None) -> tuple[str, list[str]]:
        s, esc = self.s, self.lx.escape
        quotes = not self.lx.skip_process_quotes
        result: list[str] = []
        words = _Words()
        while self.i < self.n:
            ch = s[self.i]
            if stop is not None and ch == stop:
                self.i += 1
                return "".join(result), words.get()
            if ch == "$":
                tmp = self.dollar()
                result.append(tmp)
                for c in tmp:
                    words.add_char(c)
                continue
            if quotes and ch == "'":
                tmp = self.single_quote()
                result.append(tmp)
                words.add_raw(tmp)
                continue
            if quotes and ch == '"':
                tmp = self.double_quote()
                result.append(tmp)
                words.add_raw(tmp)
                continue
            self.i += 1
            if ch == esc:
                if self.raw_escapes:
                    words.add_raw(ch)
                    result.append(ch)
                if self.i >= self.n:
                    break
                ch = s[self.i]
                self.i += 1
                words.add_raw(ch)
            else:
                words.add_char(ch)
            result.append(ch)
        if stop is not None:
            raise ExpansionError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.get()

    def single_quote(self) -> str:
        raw = self.lx.raw_quotes
        self.i += 1
        out = ["'"] if raw else []
        end = self.s.find("'", self.i)
        if end < 0:
            raise ExpansionError(
                "unexpected end of statement while looking for matching single-quote"
            )
        out.append(self.s[self.i : end])
        self.i = end + 1
        if raw:
            out.append("'")
        return "".join(out)

    def double_quote(self) -> str:
        raw = self.lx.raw_quotes
        esc = self.lx.escape
        s = self.s
        self.i += 1
        out = ['"'] if raw else []
        while True:
            if self.i >= self.n:
                raise ExpansionError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                if raw:
                    out.append('"')
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            self.i += 1
            if ch == esc:
                if self.raw_escapes:
                    out.append(ch)
                if self.i >= self.n:
                    continue
                if s[self.i] in ('"', "$", esc):
                    ch = s[self.i]
                    self.i += 1
            out.append(ch)

    def name(self) -> str:
        s, i, n = self.s, self.i, self.n
        if i >= n:
            return ""
        ch = s[i]
        if ch.isdecimal():
            j = i
            while j < n and s[j].isdecimal():
                j += 1
            self.i = j
            return s[i:j]
        if ch in _SPECIAL_PARAMS:
            self.i = i + 1
            return ch
        j = i
        while j < n and (s[j].isalpha() or s[j].isdecimal() or s[j] == "_"):
            j += 1
        self.i = j
        return s[i:j]

    def dollar(self) -> str:
        self.i += 1  # the "$"
        skip_unset = self.lx.skip_unset
        if self.i >= self.n or self.s[self.i] != "{":
            name = self.name()
            if not name:
                return "$"
            value, found = self.lookup(name, False)
            if not found and skip_unset:
                return "$" + name
            return value
        self.i += 1  # "{"
        if self.i >= self.n:
            raise ExpansionError("syntax error: missing '}'")
        if self.s[self.i] in "{}:":
            raise ExpansionError("syntax error: bad substitution")
        name = self.name()
        if self.i >= self.n:
            raise ExpansionError("syntax error: missing '}'")
        ch = self.s[self.i]
        self.i += 1
        chs = ch
        null_is_unset = False
        if ch == "}":
            value, found = self.lookup(name, False)
            if not found and skip_unset:
                return "${" + name + "}"
            return value
        if ch == ":":
            null_is_unset = True
            if self.i >= self.n:
                raise ExpansionError("syntax error: missing '}'")
            ch = self.s[self.i]
            self.i += 1
            chs += ch
        if null_is_unset or ch in "+-?#%":
            raw = ch in "#%"
            if null_is_unset and raw:
                raise ExpansionError(f"unsupported modifier ({chs}) in substitution")
            try:
                word, _ = self.stop_on("}", raw)
            except ExpansionError:
                if self.i >= self.n:
                    raise ExpansionError("syntax error: missing '}'") from None
                raise
            value, found = self.lookup(name, ch in "+-?")
            if skip_unset and not found:
                return "${" + name + chs + word + "}"
            if ch == "-":
                return word if (not found or (null_is_unset and value == "")) else value
            if ch == "+":
                return "" if (not found or (null_is_unset and value == "")) else word
            if ch == "?":
                if not found:
                    raise ExpansionError(f"{name}: {word or 'is not allowed to be unset'}")
                if null_is_unset and value == "":
                    raise ExpansionError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            if ch in "#%":
                greedy = False
                if word[:1] == ch:
                    greedy = True
                    word = word[1:]
                if ch == "%":
                    return _trim_suffix(word, value, greedy)
                return _trim_prefix(word, value, greedy)
            raise ExpansionError(f"unsupported modifier ({chs}) in substitution")
        if ch == "/":
            replace_all = self.i < self.n and self.s[self.i] == "/"
            if replace_all:
                self.i += 1
            try:
                pattern, _ = self.stop_on("/", True)
            except ExpansionError:
                if self.i >= self.n:
                    raise ExpansionError("syntax error: missing '/' in ${}") from None
                raise
            try:
                replacement, _ = self.stop_on("}", True)
            except ExpansionError:
                if self.i >= self.n:
                    raise ExpansionError("syntax error: missing '}'") from None
                raise
            value, found = self.lookup(name, False)
            if skip_unset and not found:
                return "${" + name + "/" + pattern + "/" + replacement + "}"
            rx = _glob_regex(pattern, greedy=True, anchored=False)
            if replace_all:
                return rx.sub(lambda _m: replacement, value)
            m = rx.search(value)
            if m is None:
                return value
            return value[: m.start()] + replacement + value[m.end() :]
        raise ExpansionError(f"unsupported modifier ({chs}) in substitution")


def _glob_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """BuildKit's convertShellPatternToRegex (no bracket expressions)."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i, n = 0, len(pattern)
    while i < n:
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(star)
            continue
        if tok == "?":
            out.append(".")
            continue
        if tok == "\\":
            if i < n and pattern[i] in "}/":
                continue
            if i >= n or pattern[i] not in "*?\\":
                bad = pattern[i] if i < n else ""
                raise ExpansionError(
                    f"invalid pattern ({pattern}) in substitution: invalid escape '\\{bad}'"
                )
            out.append("\\" + pattern[i])
            i += 1
            continue
        if tok in _REGEX_META:
            out.append("\\")
        out.append(tok)
    try:
        return re.compile("".join(out))
    except re.error as exc:  # pragma: no cover - every meta character is escaped
        raise ExpansionError(f"invalid pattern ({pattern}) in substitution: {exc}") from None


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    m = _glob_regex(pattern, greedy, anchored=True).match(value)
    return value[m.end() :] if m else value


def _reverse_pattern(pattern: str) -> str:
    """Reverse a glob keeping escape pairs in order (a\\*c -> c\\*a)."""
    units: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i] == "\\" and i != n - 1:
            units.append(pattern[i : i + 2])
            i += 2
        else:
            units.append(pattern[i])
            i += 1
    return "".join(reversed(units))


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


class Lexer:
    """BuildKit's shell-word lexer (``frontend/dockerfile/shell``), configurable.

    ``raw_quotes`` keeps quote characters in the result, ``raw_escapes`` keeps the
    escape characters, ``skip_unset`` leaves references to unset variables as
    written, ``skip_process_quotes`` treats quotes as ordinary characters.
    """

    __slots__ = ("escape", "raw_escapes", "raw_quotes", "skip_process_quotes", "skip_unset")

    def __init__(
        self,
        escape: str = "\\",
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
        skip_process_quotes: bool = False,
    ):
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset
        self.skip_process_quotes = skip_process_quotes

    def process(self, text: str, env: Mapping[str, str]) -> Expansion:
        """Expand ``text``; raise ExpansionError on a malformed word."""
        run = _Run(self, text, env)
        result, words = run.stop_on(None, self.raw_escapes)
        return Expansion(
            result=result,
            words=tuple(words),
            matched=frozenset(run.matched),
            unmatched=frozenset(run.unmatched),
            unset_used=frozenset(run.unset_used),
        )

    def word(self, text: str, env: Mapping[str, str]) -> str:
        """The expanded word (spaces kept)."""
        return self.process(text, env).result

    def words(self, text: str, env: Mapping[str, str]) -> list[str]:
        """The expanded text split into words (quoted spaces kept)."""
        return list(self.process(text, env).words)


def expansion(word: str, env: Mapping[str, str], escape: str = "\\") -> Expansion:
    """Expand ``word`` as BuildKit does, with the names found and not found."""
    return Lexer(escape).process(word, env)


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand ``word`` with ``env`` as BuildKit does (quotes removed, escapes applied)."""
    return Lexer(escape).process(word, env).result


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand ``word`` and split the result into words (quoted text is not split)."""
    return list(Lexer(escape).process(word, env).words)


# ---------------------------------------------------------------------------------
# stages and scopes


def _from_parts(ins: Instruction) -> tuple[str, str | None, str | None]:
    """(base, stage name as written, platform) of a FROM instruction."""
    args = ins.args
    base = args[0] if args else ""
    name = None
    if len(args) >= 3 and args[1].lower() == "as":
        name = args[2]
    plat = ins.flag("platform")
    return base, name, (plat.value if plat is not None else None)


def _global_values(
    global_args: Sequence[Instruction], escape: str, build_args: Mapping[str, str] | None
) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in global_args:
        # every value of one ARG is expanded against the state before it: computed
        # first, then set (no copy of the whole state per instruction)
        updates: list[tuple[str, str]] = []
        for (key, raw), (_k, _unq) in zip(ins.raw_key_values, ins.key_values):
            if build_args is not None and key in build_args:
                updates.append((key, build_args[key]))
            elif raw is not None:
                updates.append((key, _value(raw, _unq, env, escape)))
        env.update(updates)
    return env


def _value(raw: str, unquoted: str | None, env: Mapping[str, str], escape: str) -> str:
    """An ARG/ENV value expanded; the literal (unquoted) text when it is malformed."""
    try:
        return expand(raw, env, escape)
    except ExpansionError:
        return unquoted or ""


def build_stages(
    instructions: Sequence[Instruction], escape: str = "\\"
) -> tuple[tuple[Instruction, ...], tuple[Stage, ...]]:
    """Split instructions into global ARGs and stages (used by the parser)."""
    global_args: list[Instruction] = []
    heads: list[tuple[Instruction, list[Instruction]]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            heads.append((ins, []))
        elif heads:
            heads[-1][1].append(ins)
        elif ins.keyword == "ARG":
            global_args.append(ins)
    genv = _global_values(global_args, escape, None) if global_args else {}
    stages: list[Stage] = []
    names: dict[str, int] = {}
    for index, (fins, body) in enumerate(heads):
        base, name_raw, platform = _from_parts(fins)
        try:
            exp = Lexer(escape).process(base, genv)
            base_expanded: str | None = None if exp.unset_used else exp.result
        except ExpansionError:
            base_expanded = None
        key = (base_expanded if base_expanded is not None else base).lower()
        parent = names.get(key)
        name = name_raw.lower() if name_raw is not None else None
        stages.append(
            Stage(
                index=index,
                name=name,
                base=base,
                base_expanded=base_expanded,
                platform=platform,
                from_instruction=fins,
                instructions=tuple(body),
                parent=parent,
                name_raw=name_raw,
            )
        )
        if name is not None and name not in names:
            names[name] = index
    return tuple(global_args), tuple(stages)


def global_env(df: Dockerfile, build_args: Mapping[str, str] | None = None) -> dict[str, str]:
    """Values of the global ARGs (defaults, or ``build_args``), as FROM lines see them.

    ARGs without a default (and not in ``build_args``) are absent.  Automatic
    platform ARGs are absent unless passed in ``build_args``.
    """
    env = _global_values(df.global_args, df.escape, build_args)
    if build_args:
        for key in PLATFORM_ARGS:
            if key in build_args:
                env.setdefault(key, build_args[key])
    return env


@dataclass(frozen=True)
class Scope:
    """What is visible when BuildKit expands one instruction of a stage.

    The three fields are read-only views of one shared record of the file's ARG/ENV
    changes (:class:`_Scoping`), not copies: a scope per instruction costs the same in a
    file of 40,000 instructions as in one of 40, and a lookup is a dictionary access and
    a bisection.  They compare equal to the dict and sets they stand for."""

    env: Mapping[str, str]  # variables with a value (ENV and ARG)
    declared: AbstractSet[str]  # names declared so far by ARG or ENV (ARGs without value too)
    env_names: AbstractSet[str]  # the names set by ENV (these win over ARG)


_MISSING = object()


class _StageRecord:
    """The ARG/ENV changes of one stage: by name, the instruction indexes and values."""

    __slots__ = ("declared", "env_names", "parent", "value_at", "values")

    def __init__(self, parent: int | None):
        self.parent = parent
        self.value_at: dict[str, list[int]] = {}  # name -> indexes of the instructions that set it
        self.values: dict[str, list[str]] = {}  # name -> the values they set
        self.declared: dict[str, int] = {}  # name -> index of the first ARG/ENV declaring it
        self.env_names: dict[str, int] = {}  # name -> index of the first ENV setting it


class _Scoping:
    """One walk of BuildKit's scoping rules over a file's stages, kept as a record of
    changes (a parent before its children).  A point in a stage (before instruction
    ``k``) is looked up by walking to the nearest stage that knows the name; what a
    stage leaves to its children is remembered per name, so long FROM chains stay
    linear."""

    def __init__(self, df: Dockerfile, build_args: Mapping[str, str] | None, genv: Mapping[str, str]):
        self.df = df
        self.build_args = build_args
        self.genv = genv
        self.records: dict[int, _StageRecord] = {}
        self.scopes: dict[int, list[Scope]] = {}
        self._final: dict[tuple[str, int, str], object] = {}  # (kind, stage, name) -> answer
        # kind -> name -> the walked stages that set/declare it (ascending when walked in order)
        self._where: dict[str, dict[str, list[int]]] = {"value": {}, "declared": {}, "env_names": {}}
        self._tin, self._tout = lineage_times(df)

    # -- lookups at a point: stage ``index``, before its instruction ``k``
    def value(self, index: int, k: int, name: str) -> str | None:
        rec = self.records[index]
        at = rec.value_at.get(name)
        if at:
            j = bisect_left(at, k) - 1
            if j >= 0:
                return rec.values[name][j]
        return self._inherited("value", rec.parent, name)  # type: ignore[return-value]

    def has(self, kind: str, index: int, k: int, name: str) -> bool:
        rec = self.records[index]
        first = (rec.declared if kind == "declared" else rec.env_names).get(name)
        if first is not None and first < k:
            return True
        return self._inherited(kind, rec.parent, name) is True

    def _inherited(self, kind: str, index: int | None, name: str) -> object:
        """What stage ``index`` leaves for ``name`` after its last instruction (``None``:
        nothing).  A name few stages know is answered from those stages (the nearest one
        on ``index``'s lineage: the highest index, a parent comes first); else the
        lineage is walked as far as needed and the answers are remembered on the way."""
        if index is None:
            return None
        where = self._where[kind].get(name)
        if not where:
            return None
        if len(where) <= _FEW:
            tin, tout = self._tin, self._tout
            best = -1
            for i in where:
                if i > best and tin[i] <= tin[index] and tout[index] <= tout[i]:
                    best = i
            if best < 0:
                return None
            if kind != "value":
                return True
            return self.records[best].values[name][-1]
        path: list[int] = []
        answer: object = None
        while index is not None:
            key = (kind, index, name)
            got = self._final.get(key, _MISSING)
            if got is not _MISSING:
                answer = got
                break
            path.append(index)
            rec = self.records[index]
            if kind == "value":
                vals = rec.values.get(name)
                if vals:
                    answer = vals[-1]
                    break
            elif name in (rec.declared if kind == "declared" else rec.env_names):
                answer = True
                break
            index = rec.parent
        for i in path:
            self._final[(kind, i, name)] = answer
        return answer

    def names(self, kind: str, index: int, k: int) -> dict[str, str | None]:
        """Every name visible at a point (iteration, ``len``: built on demand)."""
        chain: list[tuple[int, int]] = []
        cur: int | None = index
        limit = k
        while cur is not None:
            chain.append((cur, limit))
            cur = self.records[cur].parent
            limit = 1 << 62
        out: dict[str, str | None] = {}
        for i, lim in reversed(chain):
            rec = self.records[i]
            if kind == "value":
                for n, at in rec.value_at.items():
                    j = bisect_left(at, lim) - 1
                    if j >= 0:
                        out[n] = rec.values[n][j]
            else:
                for n, first in (rec.declared if kind == "declared" else rec.env_names).items():
                    if first < lim:
                        out[n] = None
        return out

    # -- the walk
    def walk(self, index: int) -> list[Scope]:
        """The scopes of stage ``index`` (its parents walked first, without recursion)."""
        chain: list[int] = []
        cur: int | None = index
        while cur is not None and cur not in self.scopes:
            chain.append(cur)
            st = self.df.stages[cur]
            cur = st.parent if st.parent is not None and st.parent < cur else None
        for i in reversed(chain):
            self._walk_one(i)
        return self.scopes[index]

    def _walk_one(self, index: int) -> None:
        stage = self.df.stages[index]
        parent = stage.parent if stage.parent is not None and stage.parent < index else None
        rec = _StageRecord(parent)
        self.records[index] = rec
        esc = self.df.escape
        build_args, genv = self.build_args, self.genv
        scopes: list[Scope] = []
        for k, ins in enumerate(stage.instructions):
            before = _EnvView(self, index, k)
            scopes.append(Scope(env=before, declared=_NameView(self, "declared", index, k),
                                env_names=_NameView(self, "env_names", index, k)))
            if ins.keyword == "ARG":
                for (key, raw), (_k, unq) in zip(ins.raw_key_values, ins.key_values):
                    rec.declared.setdefault(key, k)
                    if self.has("env_names", index, k, key):
                        continue  # ENV overrides ARG
                    if build_args is not None and key in build_args:
                        self._set(rec, key, k, build_args[key])
                    elif raw is not None:
                        self._set(rec, key, k, _value(raw, unq, before, esc))
                    elif key in genv:
                        self._set(rec, key, k, genv[key])
            elif ins.keyword == "ENV":
                for (key, raw), (_k, unq) in zip(ins.raw_key_values, ins.key_values):
                    self._set(rec, key, k, _value(raw or "", unq, before, esc))
                    rec.declared.setdefault(key, k)
                    rec.env_names.setdefault(key, k)
        self.scopes[index] = scopes
        self._index_stage(index, rec)

    def _set(self, rec: _StageRecord, name: str, k: int, value: str) -> None:
        rec.value_at.setdefault(name, []).append(k)
        rec.values.setdefault(name, []).append(value)

    def _index_stage(self, index: int, rec: _StageRecord) -> None:
        for kind, names in (("value", rec.values), ("declared", rec.declared), ("env_names", rec.env_names)):
            where = self._where[kind]
            for n in names:
                where.setdefault(n, []).append(index)

    def final(self, index: int) -> Scope:
        self.walk(index)
        end = len(self.df.stages[index].instructions)
        return Scope(env=_EnvView(self, index, end), declared=_NameView(self, "declared", index, end),
                     env_names=_NameView(self, "env_names", index, end))


_FEW = 16  # a name set in at most this many stages is looked up among them


def lineage_times(df: Dockerfile) -> tuple[list[int], list[int]]:
    """Entry and exit times of a walk of the stage forest (parent -> children): ``a`` is
    ``b``'s ancestor (or ``b``) when ``tin[a] <= tin[b]`` and ``tout[b] <= tout[a]``."""
    n = len(df.stages)
    children: list[list[int]] = [[] for _ in range(n)]
    roots: list[int] = []
    for st in df.stages:
        if st.parent is not None and st.parent < st.index:
            children[st.parent].append(st.index)
        else:
            roots.append(st.index)
    tin, tout = [0] * n, [0] * n
    clock = 0
    for root in roots:
        stack: list[tuple[int, int]] = [(root, 0)]
        while stack:
            node, child = stack.pop()
            if child == 0:
                tin[node] = clock
                clock += 1
            if child < len(children[node]):
                stack.append((node, child + 1))
                stack.append((children[node][child], 0))
            else:
                tout[node] = clock
                clock += 1
    return tin, tout


class _EnvView(Mapping[str, str]):
    """The variables with a value before instruction ``k`` of a stage (a read-only view)."""

    __slots__ = ("_index", "_k", "_s")

    def __init__(self, scoping: _Scoping, index: int, k: int):
        self._s, self._index, self._k = scoping, index, k

    def __getitem__(self, name: str) -> str:
        got = self._s.value(self._index, self._k, name)
        if got is None:
            raise KeyError(name)
        return got

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._s.value(self._index, self._k, name) is not None

    def _all(self) -> dict[str, str]:
        return {n: v for n, v in self._s.names("value", self._index, self._k).items() if v is not None}

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


class _NameView(AbstractSet[str]):
    """The names declared (or set by ENV) before instruction ``k`` of a stage."""

    __slots__ = ("_index", "_k", "_kind", "_s")

    def __init__(self, scoping: _Scoping, kind: str, index: int, k: int):
        self._s, self._kind, self._index, self._k = scoping, kind, index, k

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._s.has(self._kind, self._index, self._k, name)

    def _all(self) -> frozenset[str]:
        return frozenset(self._s.names(self._kind, self._index, self._k))

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    @classmethod
    def _from_iterable(cls, it: Iterable[Any]) -> frozenset[Any]:  # `a | b` etc.: a plain frozenset
        return frozenset(it)

    def __repr__(self) -> str:
        return repr(set(self._all()))


def stage_scopes(
    df: Dockerfile, stage_index: int, build_args: Mapping[str, str] | None = None
) -> list[Scope]:
    """One :class:`Scope` per instruction of ``df.stages[stage_index].instructions``.

    Each scope is what BuildKit uses to expand that instruction: the state before
    it runs.  A stage built FROM an earlier stage starts with that stage's final
    scope.  ``build_args`` (like ``--build-arg``) override ARG defaults.
    """
    return _Scoping(df, build_args, global_env(df, build_args)).walk(stage_index)


def stage_env(
    df: Dockerfile, stage_index: int, build_args: Mapping[str, str] | None = None
) -> list[Mapping[str, str]]:
    """The variables (name -> value) visible at each instruction of a stage."""
    return [s.env for s in stage_scopes(df, stage_index, build_args)]


def all_scopes(df: Dockerfile, build_args: Mapping[str, str] | None = None) -> list[list[Scope]]:
    """``stage_scopes`` for every stage at once (each stage is walked once)."""
    scoping = _Scoping(df, build_args, global_env(df, build_args))
    return [scoping.walk(s.index) for s in df.stages]


def final_scope(
    df: Dockerfile, stage_index: int, build_args: Mapping[str, str] | None = None
) -> Scope:
    """The scope after the last instruction of a stage (what a child stage inherits)."""
    return _Scoping(df, build_args, global_env(df, build_args)).final(stage_index)
