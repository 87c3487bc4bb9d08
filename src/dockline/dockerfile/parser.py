"""Parse a Dockerfile exactly as BuildKit's parser does, keeping positions.

Entry point: :func:`parse` (``text`` or ``bytes``, optional ``path``) returns a
:class:`~dockline.dockerfile.model.Dockerfile` or raises
:class:`~dockline.errors.DockerfileSyntaxError` (with path, line, column).

What "exact" means: the logical lines, instruction keywords, flags, arguments,
JSON/shell form decisions, ENV/LABEL/ARG splitting and heredoc bodies are the
ones BuildKit's ``frontend/dockerfile/parser`` produces (checked against its own
fixtures by :func:`dump`, which renders BuildKit's ``Node.Dump()`` format).
Checks that BuildKit does later, in its instruction layer (``FROM`` argument
count, flag validity, unknown instructions), are left to the linter: the parser
accepts them as BuildKit's parser does.

Behaviour reference: the Dockerfile reference
(https://docs.docker.com/reference/dockerfile/) and BuildKit's parser fixtures.
The algorithm is linear in the size of the input.
"""

from __future__ import annotations

import gc
import json
import re
from bisect import bisect_right
from collections.abc import Iterator

from dockline.dockerfile.model import (
    Comment,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Position,
)
from dockline.dockerfile.semantic import ExpansionError, Lexer, build_stages
from dockline.errors import DockerfileSyntaxError

__all__ = ["HEREDOC_INSTRUCTIONS", "KNOWN_INSTRUCTIONS", "dump", "parse"]

# Go's unicode.IsSpace (Python's str.isspace also counts \x1c-\x1f, Go does not).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_SET = frozenset(GO_SPACE)
# BuildKit's reWhitespace / tokenWhitespace: [\t\v\f\r ]+
_RE_WS = re.compile(r"[\t\v\f\r ]+")
_RE_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z", re.DOTALL
)
_RE_HEREDOC = re.compile(r"([0-9]*)<<(-?)([^<]*)\Z", re.DOTALL)
_RE_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_RE_SURROGATE = re.compile("[\ud800-\udfff]")

VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})

#: Instructions BuildKit's parser knows (others parse, with their arguments ignored).
KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
#: Instructions that may carry heredocs (ONBUILD wrapping one of them too).
HEREDOC_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN"})

_JSON_DECODER: json.JSONDecoder | None = None


class _JSONOverflow(ValueError):
    pass


def _raise_constant(name: str) -> object:
    raise ValueError(f"invalid JSON constant {name}")


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _JSONOverflow(text)  # Go: "cannot unmarshal number ... into float64"
    return value


def _decoder() -> json.JSONDecoder:
    global _JSON_DECODER
    if _JSON_DECODER is None:
        _JSON_DECODER = json.JSONDecoder(parse_constant=_raise_constant, parse_float=_parse_float)
    return _JSON_DECODER


class _NotStringArray(Exception):
    """A valid JSON array with a non-string element: BuildKit rejects the file."""


def _parse_json_array(rest: str) -> list[str] | None:
    """BuildKit's parseJSON: the list, or None when ``rest`` is not a JSON array.

    Like Go's ``json.Decoder.Decode`` only the first JSON value is read; text
    after the closing bracket is ignored.  Raises _NotStringArray for a valid
    array with a non-string element.
    """
    rest = rest.lstrip(GO_SPACE)
    if not rest.startswith("["):
        return None
    try:
        value, _end = _decoder().raw_decode(rest)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, list):  # pragma: no cover - starts with "["
        return None
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise _NotStringArray()
        if _RE_SURROGATE.search(item):
            # Go decodes a lone surrogate escape to U+FFFD
            item = item.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        out.append(item)
    return out


# ---------------------------------------------------------------------------------
# word splitting as BuildKit's parser does it (quotes and escapes kept)


def parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's ``parseWords``: split on whitespace outside quotes, keep quotes/escapes."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    in_quote = False
    quote = ""
    blank_ok = False
    i = 0
    n = len(rest)
    while i < n:
        ch = rest[i]
        if not in_word and not in_quote:
            if ch in _GO_SPACE_SET:
                i += 1
                continue
            in_word = True
        if in_quote:
            if ch == quote:
                in_quote = False
                in_word = True
            if ch == escape and quote != "'":
                if i + 1 == n:
                    in_quote = False
                    in_word = True
                    i += 1
                    continue
                word.append(ch)
                i += 1
                ch = rest[i]
            word.append(ch)
            i += 1
            continue
        # in word
        if ch in _GO_SPACE_SET:
            in_word = False
            words.append("".join(word))  # never empty: a word starts with a non-space
            word = []
            blank_ok = False
            i += 1
            continue
        if ch == "'" or ch == '"':
            quote = ch
            blank_ok = True
            in_quote = True
            in_word = False
        if ch == escape:
            if i + 1 == n:
                i += 1
                continue
            word.append(ch)
            i += 1
            ch = rest[i]
        word.append(ch)
        i += 1
    if (in_word or in_quote) and (blank_ok or word):
        words.append("".join(word))
    return words


def _extract_flags(line: str) -> tuple[int, list[tuple[str, int, int]]]:
    """BuildKit's ``extractBuilderFlags``.

    Returns the index where the arguments start (``len(line)`` if none) and the
    flags as (processed word, start index, end index) in ``line``.
    """
    flags: list[tuple[str, int, int]] = []
    n = len(line)
    i = 0
    while True:
        # skip spaces
        while i < n and line[i] in _GO_SPACE_SET:
            i += 1
        if i >= n:
            return n, flags
        if not (line[i] == "-" and i + 1 < n and line[i + 1] == "-"):
            return i, flags
        start = i
        word: list[str] = []
        quote = ""
        in_quote = False
        while i < n:
            ch = line[i]
            if in_quote:
                if ch == quote:
                    in_quote = False
                    i += 1
                    continue
                if ch == "\\":
                    if i + 1 == n:
                        in_quote = False
                        i += 1
                        continue
                    i += 1
                    ch = line[i]
                word.append(ch)
                i += 1
                continue
            if ch in _GO_SPACE_SET:
                break
            if ch == "'" or ch == '"':
                quote = ch
                in_quote = True
                i += 1
                continue
            if ch == "\\":
                if i + 1 == n:
                    i += 1
                    continue
                i += 1
                ch = line[i]
            word.append(ch)
            i += 1
        text = "".join(word)
        if text == "--":
            if i >= n:
                return n, flags
            return i, flags
        flags.append((text, start, i))  # starts with "--", so never empty
        if i >= n:
            return n, flags


# ---------------------------------------------------------------------------------
# the AST of one instruction, as BuildKit's line parsers build it


class _Node:
    """What BuildKit's dispatch functions return for an instruction's arguments."""

    __slots__ = ("ignored", "json", "legacy", "pairs", "sub", "values")

    def __init__(self) -> None:
        self.values: list[str] = []  # the "Next" chain (for ENV/LABEL: key, value, sep...)
        self.json = False
        self.legacy = False
        self.pairs: list[tuple[str, str]] = []  # ENV/LABEL raw pairs
        self.sub: _Logical | None = None
        self.ignored = False


class _Logical:
    """One logical line split into keyword, flags and arguments."""

    __slots__ = ("flags", "keyword_raw", "kw_off", "node", "rest", "rest_off")

    def __init__(self) -> None:
        self.keyword_raw = ""
        self.kw_off = 0
        self.flags: list[tuple[str, int, int]] = []
        self.rest = ""
        self.rest_off = 0
        self.node = _Node()


class _ParseError(Exception):
    def __init__(self, message: str, hint: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.offset = offset


def _split_command(line: str, base: int, escape: str) -> _Logical:
    """BuildKit's ``newNodeFromLine`` on ``line`` (offsets relative to the logical line + base)."""
    out = _Logical()
    stripped = line.strip(GO_SPACE)
    lead = len(line) - len(line.lstrip(GO_SPACE))
    m = _RE_WS.search(stripped)
    if m is None:
        cmd, rest_all, rest_all_off = stripped, "", lead + len(stripped)
    else:
        cmd = stripped[: m.start()]
        rest_all = stripped[m.end() :]
        rest_all_off = lead + m.end()
    out.keyword_raw = cmd
    out.kw_off = base + lead
    if rest_all:
        args_at, flags = _extract_flags(rest_all)
        out.flags = [(w, base + rest_all_off + s, base + rest_all_off + e) for w, s, e in flags]
        args = rest_all[args_at:]
        args_stripped = args.strip(GO_SPACE)
        out.rest = args_stripped
        out.rest_off = base + rest_all_off + args_at + (len(args) - len(args.lstrip(GO_SPACE)))
    else:
        out.rest_off = base + rest_all_off
    _dispatch(out, escape)
    return out


def _dispatch(lg: _Logical, escape: str) -> None:
    cmd = lg.keyword_raw.lower()
    rest = lg.rest
    node = lg.node
    if cmd in ("add", "copy", "volume"):
        arr = _maybe_json(rest)
        if arr is not None:
            node.values, node.json = arr, True
        elif rest:
            node.values = _RE_WS.split(rest)
    elif cmd in ("cmd", "entrypoint", "run", "shell"):
        if rest:
            arr = _maybe_json(rest)
            if arr is not None:
                node.values, node.json = arr, True
            else:
                node.values = [rest]
    elif cmd in ("expose", "from"):
        if rest:
            node.values = _RE_WS.split(rest)
    elif cmd in ("maintainer", "stopsignal", "user", "workdir"):
        if rest:
            node.values = [rest]
    elif cmd in ("env", "label"):
        _parse_name_val(node, rest, cmd.upper(), escape)
    elif cmd == "arg":
        node.values = parse_words(rest, escape)
    elif cmd == "healthcheck":
        _parse_health(node, rest)
    elif cmd == "onbuild":
        if rest:
            node.sub = _split_command(rest, lg.rest_off, escape)
    else:
        node.ignored = True


def _maybe_json(rest: str) -> list[str] | None:
    try:
        return _parse_json_array(rest)
    except _NotStringArray:
        raise _ParseError(
            "when using JSON array syntax, arrays must be comprised of strings only",
            'write the exec form as a list of strings, e.g. ["cmd", "arg"]',
        ) from None


def _parse_name_val(node: _Node, rest: str, key: str, escape: str) -> None:
    words = parse_words(rest, escape)
    if not words:
        return
    if "=" not in words[0]:
        parts = _RE_WS.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise _ParseError(
                f"{key} must have two arguments",
                f"write {key} name=value",
            )
        node.legacy = True
        node.pairs = [(parts[0], parts[1])]
        node.values = [parts[0], parts[1], ""]
        return
    for word in words:
        if "=" not in word:
            raise _ParseError(
                f"Syntax error - can't find = in {_go_quote(word)}. Must be of the form: name=value",
                'quote values that contain spaces: name="a b"',
            )
        k, v = word.split("=", 1)
        node.pairs.append((k, v))
        node.values.extend((k, v, "="))


def _parse_health(node: _Node, rest: str) -> None:
    sep = 0
    n = len(rest)
    while sep < n and rest[sep] not in _GO_SPACE_SET:
        sep += 1
    if sep == 0:
        return
    nxt = sep
    while nxt < n and rest[nxt] in _GO_SPACE_SET:
        nxt += 1
    typ = rest[:sep]
    cmd_rest = rest[nxt:]
    node.values = [typ]
    if cmd_rest:
        arr = _maybe_json(cmd_rest)
        if arr is not None:
            node.values.extend(arr)
            node.json = True
        else:
            node.values.append(cmd_rest)


# ---------------------------------------------------------------------------------
# heredoc detection (BuildKit: heredocsFromLine / ParseHeredoc)


def _heredoc_markers(line: str) -> list[tuple[str, bool, bool, int]]:
    """(name, expand, chomp, offset of '<<' in line) for every heredoc word of ``line``."""
    raw_lexer = Lexer("\\", raw_quotes=True, raw_escapes=True, skip_unset=True)
    try:
        words = raw_lexer.words(line, {})
    except ExpansionError:
        return []
    out: list[tuple[str, bool, bool, int]] = []
    search_from = 0
    for word in words:
        m = _RE_HEREDOC.match(word)
        if m is None or not m.group(3):
            continue
        rest = m.group(3)
        plain = Lexer("\\", skip_unset=True)
        try:
            cooked = plain.words(rest, {})
        except ExpansionError as exc:  # e.g. "<<${X:-a b}": the line lexer split it
            raise _ParseError(f"invalid heredoc delimiter {word!r}: {exc}") from None
        if len(cooked) != 1:
            continue
        rawq = Lexer("\\", raw_quotes=True, skip_unset=True).words(rest, {})
        name = cooked[0]
        expand = (name.count("'") + name.count('"')) == (rawq[0].count("'") + rawq[0].count('"'))
        marker = m.group(1) + "<<"
        at = line.find(marker, search_from)
        if at < 0:  # pragma: no cover - the word comes from the line
            at = line.find("<<", search_from)
        search_from = max(at + 2, search_from)
        out.append((name, expand, m.group(2) == "-", at))
    return out


# ---------------------------------------------------------------------------------
# the driver


def _decode(data: str | bytes, path: str | None) -> str:
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise DockerfileSyntaxError(
                "binary file (NUL bytes), not a Dockerfile",
                "point dockline at a text Dockerfile",
                path=path,
            )
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DockerfileSyntaxError(
                "binary file (not valid UTF-8), not a Dockerfile",
                "save the Dockerfile as UTF-8",
                path=path,
                line=line,
            ) from None
        return text
    if "\x00" in data:
        raise DockerfileSyntaxError(
            "binary file (NUL characters), not a Dockerfile",
            "point dockline at a text Dockerfile",
            path=path,
        )
    data = data.removeprefix("\ufeff")
    if _RE_SURROGATE.search(data):
        raise DockerfileSyntaxError(
            "binary file (not valid UTF-8), not a Dockerfile",
            "save the Dockerfile as UTF-8",
            path=path,
        )
    return data


class _Segments:
    """Maps offsets of a logical line back to physical line/column."""

    __slots__ = ("cols", "lines", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.lines: list[int] = []
        self.cols: list[int] = []

    def add(self, start: int, line: int, col0: int) -> None:
        self.starts.append(start)
        self.lines.append(line)
        self.cols.append(col0)

    def pos(self, offset: int) -> Position:
        starts = self.starts
        k = 0 if len(starts) == 1 else max(bisect_right(starts, offset) - 1, 0)
        return Position(self.lines[k], self.cols[k] + offset - starts[k] + 1)


def _trim_continuation(line: str, esc: str) -> tuple[str, bool]:
    """BuildKit's trimContinuationCharacter: (line, is_end_of_line)."""
    if not line.endswith((esc, " ", "\t")):
        return line, True
    body = line.rstrip(" \t")
    if not body.endswith(esc):
        return line, True
    if len(body) >= 2 and body[-2] == esc:
        return line, True  # an escaped escape is not a continuation
    return body[:-1], False


def parse(text: str | bytes, path: str | None = None) -> Dockerfile:
    """Parse a Dockerfile; raise DockerfileSyntaxError where BuildKit's parser would fail."""
    source = _decode(text, path)
    if len(source) < _GC_PAUSE_THRESHOLD or not gc.isenabled():
        return _parse(source, path)
    # A huge file makes hundreds of thousands of small objects: the cyclic collector
    # would rescan them again and again (about a quarter of the time); none are cycles.
    gc.disable()
    try:
        return _parse(source, path)
    finally:
        gc.enable()


_GC_PAUSE_THRESHOLD = 1 << 20


def _parse(source: str, path: str | None) -> Dockerfile:
    phys = source.split("\n")
    if phys and phys[-1] == "" and source.endswith("\n"):
        phys.pop()
    lines = [ln.rstrip("\r") if ln.endswith("\r") else ln for ln in phys]
    nlines = len(lines)

    directives: dict[str, str] = {}
    directive_pos: dict[str, Position] = {}
    directives_done = False
    esc = "\\"
    comments: list[Comment] = []
    instructions: list[Instruction] = []

    def error(
        message: str, hint: str | None, line: int | None, column: int | None = None
    ) -> DockerfileSyntaxError:
        return DockerfileSyntaxError(message, hint, path=path, line=line, column=column)

    i = 0
    while i < nlines:
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.lstrip(GO_SPACE) if raw[:1] in _GO_SPACE_SET else raw
        is_comment = stripped.startswith("#")
        if not directives_done:
            m = _RE_DIRECTIVE.match(stripped)
            key = m.group(1).lower() if m else ""
            if m is None or key not in VALID_DIRECTIVES:
                directives_done = True
            else:
                if key in directives:
                    raise error(
                        f"only one {key} parser directive can be used",
                        "remove the repeated directive",
                        lineno,
                    )
                value = m.group(2)
                if key == "escape":
                    if value not in ("\\", "`"):
                        raise error(
                            f"invalid escape token '{value}' does not match ` or \\",
                            "use # escape=\\ or # escape=`",
                            lineno,
                        )
                    esc = value
                directives[key] = value
                directive_pos[key] = Position(lineno, len(raw) - len(stripped) + 1)
        if is_comment:
            comments.append(
                Comment(
                    Position(lineno, len(raw) - len(stripped) + 1), stripped[1:].strip(GO_SPACE)
                )
            )
            continue  # a comment line is empty once comments are trimmed
        content, eol = _trim_continuation(stripped, esc)
        if eol and content == "":
            continue
        start_line = lineno
        segs = _Segments()
        segs.add(0, lineno, len(raw) - len(stripped))
        parts = [content]
        total = len(content)
        empty_cont: list[int] = []
        cur = lineno
        while not eol and i < nlines:
            nxt = lines[i]
            cur = i + 1
            i += 1
            lead_stripped = nxt.lstrip(GO_SPACE)
            if lead_stripped.startswith("#"):
                comments.append(
                    Comment(
                        Position(cur, len(nxt) - len(lead_stripped) + 1),
                        lead_stripped[1:].strip(GO_SPACE),
                    )
                )
                continue
            if lead_stripped == "":
                empty_cont.append(cur)
                continue
            piece, eol = _trim_continuation(nxt, esc)
            segs.add(total, cur, 0)
            parts.append(piece)
            total += len(piece)
        logical = "".join(parts) if len(parts) > 1 else parts[0]
        try:
            lg = _split_command(logical, 0, esc)
        except _ParseError as exc:
            raise error(exc.message, exc.hint, start_line) from None

        # heredocs
        heredocs: list[Heredoc] = []
        target = lg
        kw = lg.keyword_raw.lower()
        if kw == "onbuild" and lg.node.sub is not None:
            target = lg.node.sub
        if (
            target.keyword_raw.upper() in HEREDOC_INSTRUCTIONS
            and not target.node.json
            and "<<" in logical
        ):
            try:
                markers = _heredoc_markers(logical)
            except _ParseError as exc:
                raise error(exc.message, exc.hint, start_line) from None
            for name, expand, chomp, at in markers:
                body: list[str] = []
                terminated = False
                body_start = i + 1
                while i < nlines:
                    candidate = lines[i]
                    cur = i + 1
                    i += 1
                    probe = candidate.lstrip("\t") if chomp else candidate
                    if probe == name:
                        terminated = True
                        break
                    body.append(candidate)
                if not terminated:
                    hpos = segs.pos(at)
                    raise error(
                        f"unterminated heredoc {name}",
                        f"end the here-document with a line containing only {name}",
                        start_line,
                        hpos.column if hpos.line == start_line else None,
                    )
                content_text = "".join(b + "\n" for b in body)
                if chomp:
                    content_text = _RE_LEADING_TABS.sub("", content_text)
                heredocs.append(
                    Heredoc(
                        name=name,
                        content=content_text,
                        expand=expand,
                        chomp=chomp,
                        pos=segs.pos(at),
                        body_start_line=body_start,
                        end_line=cur,
                    )
                )
        instructions.append(
            _build_instruction(
                lg, segs, start_line, cur, lines, tuple(heredocs), tuple(empty_cont), esc
            )
        )

    if not instructions:
        raise error(
            "file with no instructions",
            "a Dockerfile needs at least a FROM instruction",
            max(nlines, 1),
        )

    global_args, stages = build_stages(instructions, esc)
    return Dockerfile(
        path=path,
        text=source,
        lines=tuple(lines),
        directives=directives,
        escape=esc,
        instructions=tuple(instructions),
        comments=tuple(comments),
        global_args=global_args,
        stages=stages,
        directive_positions=directive_pos,
    )


def _build_instruction(
    lg: _Logical,
    segs: _Segments,
    start_line: int,
    end_line: int,
    lines: list[str],
    heredocs: tuple[Heredoc, ...],
    empty_cont: tuple[int, ...],
    esc: str,
) -> Instruction:
    keyword = lg.keyword_raw.upper()
    node = lg.node
    flags = tuple(_make_flag(w, lines, segs, s, e) for w, s, e in lg.flags)
    key_values: tuple[tuple[str, str | None], ...] = ()
    raw_key_values: tuple[tuple[str, str | None], ...] = ()
    if keyword in ("ENV", "LABEL"):
        args: tuple[str, ...] = (lg.rest,) if lg.rest else ()
        raw_key_values = tuple(node.pairs)
        key_values = tuple((k, _unquote(v, esc)) for k, v in node.pairs)
    elif keyword == "ARG":
        args = tuple(node.values)
        rkv: list[tuple[str, str | None]] = []
        kv: list[tuple[str, str | None]] = []
        for w in node.values:
            if "=" in w:
                k, v = w.split("=", 1)
                rkv.append((k, v))
                kv.append((k, _unquote(v, esc)))
            else:
                rkv.append((w, None))
                kv.append((w, None))
        raw_key_values = tuple(rkv)
        key_values = tuple(kv)
    elif node.ignored:
        args = (lg.rest,) if lg.rest else ()
    else:
        args = tuple(node.values)
    sub = None
    if node.sub is not None:
        sub = _build_instruction(node.sub, segs, start_line, end_line, lines, heredocs, (), esc)
        heredocs = ()  # they belong to the inner instruction
    return Instruction(
        keyword=keyword,
        pos=segs.pos(lg.kw_off),
        end_line=end_line,
        original="\n".join(lines[start_line - 1 : end_line]),
        flags=flags,
        args=args,
        json_form=node.json,
        heredocs=heredocs,
        key_values=key_values,
        sub=sub,
        arg_pos=segs.pos(lg.rest_off),
        legacy_key_value=node.legacy,
        keyword_raw=lg.keyword_raw,
        rest=lg.rest,
        raw_key_values=raw_key_values,
        empty_continuation_lines=empty_cont,
        known=keyword in KNOWN_INSTRUCTIONS,
        start_line=start_line,
    )


def _make_flag(word: str, lines: list[str], segs: _Segments, start: int, end: int) -> Flag:
    pos = segs.pos(start)
    endpos = segs.pos(end - 1)
    if endpos.line == pos.line:
        raw = lines[pos.line - 1][pos.column - 1 : endpos.column]
    else:  # a flag split by a line continuation (rare): show the processed word
        raw = word
    body = word.removeprefix("--")
    if "=" in body:
        name, value = body.split("=", 1)
        return Flag(name=name.lower(), value=value, raw=raw, pos=pos, word=word)
    return Flag(name=body.lower(), value=None, raw=raw, pos=pos, word=word)


def _unquote(value: str, esc: str) -> str:
    """Quote removal and escapes as BuildKit's lexer does, variables left as written."""
    if "'" not in value and '"' not in value and esc not in value:
        return value  # nothing to remove; variable references stay as written
    try:
        return Lexer(esc, skip_unset=True).word(value, {})
    except ExpansionError:
        return value


# ---------------------------------------------------------------------------------
# BuildKit's Node.Dump() format (for conformance tests and debugging)


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _go_quote(s: str) -> str:
    """Go's strconv.Quote."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == " " or (o >= 0x20 and ch.isprintable() and not (0x7F <= o < 0xA0)):
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif o < 0x80:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _dump_instruction(ins: Instruction) -> str:
    parts = [ins.keyword.lower()]
    if ins.flags:
        parts.append("[" + " ".join(_go_quote(f.word) for f in ins.flags) + "]")
    if ins.keyword == "ONBUILD":
        if ins.sub is not None:
            parts.append("(" + _dump_instruction(ins.sub) + ")")
    elif not ins.known:
        parts.append('""')
    elif ins.keyword in ("ENV", "LABEL"):
        for k, v in ins.raw_key_values:
            parts.append(_go_quote(k))
            parts.append(_go_quote(v or ""))
            parts.append('""' if ins.legacy_key_value else '"="')
    else:
        parts.extend(_go_quote(a) for a in ins.args)
    return " ".join(parts).strip()


def dump(df: Dockerfile) -> str:
    """Render ``df`` in BuildKit's ``Node.Dump()`` format (one instruction a line)."""
    return "\n".join("(" + _dump_instruction(ins) + ")" for ins in df.instructions) + "\n"


def iter_all(df: Dockerfile) -> Iterator[Instruction]:
    """Every instruction, ONBUILD triggers' inner instructions right after their ONBUILD."""
    for ins in df.instructions:
        yield ins
        if ins.sub is not None:
            yield ins.sub
