"""``dockline lint``: check Dockerfiles (hadolint's DL rules + dockline's DKL rules).

Parses the options, layers the settings, calls :func:`dockline.dockerfile.lint.lint_paths`
and renders its report.  Imports stay inside the command (the lint path must start fast),
but for the names the options offer: the one lists, in a module that imports nothing.
"""

from __future__ import annotations

from typing import Any

import click

from dockline.dockerfile.vocabulary import (
    CLI_FORMATS,
    LABEL_TYPES,
    SHELLCHECK_MODES,
    THRESHOLDS,
    canonical_format,
)


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("-f", "--format", "fmt", type=click.Choice(CLI_FORMATS), default=None,
              help="Output format (default: human).")
@click.option("-t", "--failure-threshold", type=click.Choice(THRESHOLDS),
              default=None, help="Exit 1 only for findings at or above this severity (default: info).")
@click.option("--no-fail", is_flag=True, default=None, help="Exit 0 even with findings.")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file (default: .dockline.yaml / .hadolint.yaml, see docs/lint.md).")
@click.option("--ignore", multiple=True, metavar="RULE", help="Ignore a rule (repeatable).")
@click.option("--error", "as_error", multiple=True, metavar="RULE", help="Report RULE as error.")
@click.option("--warning", "as_warning", multiple=True, metavar="RULE", help="Report RULE as warning.")
@click.option("--info", "as_info", multiple=True, metavar="RULE", help="Report RULE as info.")
@click.option("--style", "as_style", multiple=True, metavar="RULE", help="Report RULE as style.")
@click.option("--trusted-registry", multiple=True, metavar="REGISTRY", help="Allowed registry for DL3026.")
@click.option("--require-label", multiple=True, metavar="LABEL:TYPE", help="Label schema entry (DL3049-DL3058).")
@click.option("--strict-labels", is_flag=True, default=None, help="Labels outside the schema are findings.")
@click.option("--disable-ignore-pragma", is_flag=True, default=None, help="Ignore inline ignore pragmas.")
@click.option("--context", "context_dir", type=click.Path(file_okay=False), default=None,
              help="Build context (for the ENTRYPOINT script and .dockerignore); default: each Dockerfile's directory.")
@click.option("--shellcheck", "shellcheck_mode", type=click.Choice(SHELLCHECK_MODES), default=None,
              help="SC findings on RUN bodies from ShellCheck: auto (when installed, the default), always, never.")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff, apply unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Show the fixes as a unified diff; write nothing.")
@click.option("--explain", metavar="RULE", default=None, help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--docs", "print_docs", is_flag=True, help="Print docs/rules.md (generated from the rules) and exit.")
def lint_command(paths: tuple[str, ...], fmt: str | None, failure_threshold: str | None, no_fail: bool | None,
                 config_path: str | None, ignore: tuple[str, ...], as_error: tuple[str, ...],
                 as_warning: tuple[str, ...], as_info: tuple[str, ...], as_style: tuple[str, ...],
                 trusted_registry: tuple[str, ...], require_label: tuple[str, ...], strict_labels: bool | None,
                 disable_ignore_pragma: bool | None, context_dir: str | None, shellcheck_mode: str | None, fix: bool,
                 unsafe_fixes: bool, diff: bool, explain: str | None, list_rules: bool, print_docs: bool) -> None:
    """Lint Dockerfiles: files, directories (searched for Dockerfile, *.Dockerfile,
    Dockerfile.*) or - for stdin.

    Exit 0 clean, 1 findings at or above the failure threshold, 2 bad input or usage
    (unreadable or unparsable files are reported with the others, then exit 2).
    """
    ctx = click.get_current_context()
    code = _run(
        paths=paths, fmt=fmt, failure_threshold=failure_threshold, no_fail=no_fail, config_path=config_path,
        ignore=ignore, overrides={"error": as_error, "warning": as_warning, "info": as_info, "style": as_style},
        trusted_registries=trusted_registry, require_labels=require_label, strict_labels=strict_labels,
        disable_ignore_pragma=disable_ignore_pragma, context_dir=context_dir, shellcheck_mode=shellcheck_mode,
        fix=fix, unsafe_fixes=unsafe_fixes, diff=diff, explain=explain, list_rules=list_rules, print_docs=print_docs,
    )
    ctx.exit(code)


def _config(config_path: str | None, failure_threshold: str | None, no_fail: bool | None,
            ignore: tuple[str, ...], overrides: dict[str, tuple[str, ...]], trusted_registries: tuple[str, ...],
            require_labels: tuple[str, ...], strict_labels: bool | None,
            disable_ignore_pragma: bool | None) -> Any:
    """dockline's settings < the lint file < HADOLINT_* (lintconfig.lint_config), then the flags."""
    import dataclasses
    from pathlib import Path

    from dockline.config import load_settings
    from dockline.dockerfile.lintconfig import find_config, lint_config
    from dockline.errors import UsageError

    path = Path(config_path) if config_path else find_config(Path.cwd())
    if config_path and not Path(config_path).is_file():
        raise UsageError(f"--config {config_path}: no such file")
    settings = load_settings().lint  # dockline.yaml `lint:` and DOCKLINE_LINT_* give the defaults
    cfg = lint_config(path, failure_threshold=settings.failure_threshold, format=settings.format)
    changes: dict[str, Any] = {}
    if failure_threshold is not None:
        changes["failure_threshold"] = failure_threshold
    if no_fail:
        changes["no_fail"] = True
    if ignore:
        changes["ignored"] = cfg.ignored | {r.strip().upper() for x in ignore for r in x.split(",") if r.strip()}
    ov = dict(cfg.override)
    for level, ids in overrides.items():
        for x in ids:
            for r in x.split(","):
                if r.strip():
                    ov[r.strip().upper()] = level
    changes["override"] = ov
    if trusted_registries:
        changes["trusted_registries"] = cfg.trusted_registries + tuple(trusted_registries)
    if require_labels:
        schema = dict(cfg.label_schema)
        for item in require_labels:
            name, _, kind = item.partition(":")
            if not name or kind not in LABEL_TYPES:
                raise UsageError(f"--require-label {item!r}: use LABEL:TYPE with TYPE one of "
                                 f"{', '.join(LABEL_TYPES)}")
            schema[name] = kind
        changes["label_schema"] = schema
    if strict_labels:
        changes["strict_labels"] = True
    if disable_ignore_pragma:
        changes["disable_ignore_pragma"] = True
    return dataclasses.replace(cfg, **changes)


def _run(*, paths: tuple[str, ...], fmt: str | None, failure_threshold: str | None, no_fail: bool | None,
         config_path: str | None, ignore: tuple[str, ...], overrides: dict[str, tuple[str, ...]],
         trusted_registries: tuple[str, ...], require_labels: tuple[str, ...], strict_labels: bool | None,
         disable_ignore_pragma: bool | None, context_dir: str | None, shellcheck_mode: str | None, fix: bool,
         unsafe_fixes: bool, diff: bool, explain: str | None, list_rules: bool, print_docs: bool) -> int:
    import dataclasses
    import re
    import sys
    from pathlib import Path

    from dockline import output
    from dockline.dockerfile import formats
    from dockline.dockerfile.lint import lint_paths
    from dockline.dockerfile.registry import explain_text, registry, rules_markdown
    from dockline.errors import UsageError

    rules = registry()
    if explain is not None:
        rid = explain.strip().upper()
        r = rules.get(rid) or next((x for x in rules.values() if x.name == explain.strip()), None)
        if r is None and re.fullmatch(r"SC\d{4}", rid):
            output.emit_text(f"{rid}: a ShellCheck check, run on every shell-form RUN body (`--shellcheck`).\n"
                             f"See https://www.shellcheck.net/wiki/{rid}; ignore it like any rule "
                             f"(`--ignore {rid}`, `# hadolint ignore={rid}`).")
            return 0
        if r is None:
            raise UsageError(f"--explain {explain}: no such rule", "see `dockline lint --list-rules`")
        output.emit_text(explain_text(r))
        return 0
    if list_rules:
        for r in rules.values():
            output.emit_text(f"{r.id:<8} {r.severity.label:<8} {r.status:<8} {r.fix.value:<7} {r.name}: {r.summary}")
        return 0
    if print_docs:
        output.emit_text(rules_markdown())
        return 0
    if not paths:
        raise UsageError("no Dockerfile given", "pass files, directories or - for stdin: dockline lint Dockerfile")
    if fix and "-" in paths and not diff:
        raise UsageError("--fix cannot write to stdin", "use --diff to see the fixes for stdin")
    cfg = _config(config_path, failure_threshold, no_fail, ignore, overrides, trusted_registries,
                  require_labels, strict_labels, disable_ignore_pragma)
    for rid in list(cfg.ignored) + list(cfg.override):
        if rid not in rules and not rid.startswith("SC"):
            output.warn(f"unknown rule id {rid} (in ignore/override): see `dockline lint --list-rules`")
    fmt = canonical_format(fmt or cfg.format or "human")
    if shellcheck_mode is not None:
        cfg = dataclasses.replace(cfg, shellcheck=shellcheck_mode)
    report = lint_paths(paths, cfg.rule_settings(cfg.shellcheck_runner()),
                        context_dir=Path(context_dir) if context_dir else None, fix=fix, unsafe_fixes=unsafe_fixes,
                        diff=diff, failure_threshold=cfg.failure_threshold, no_fail=cfg.no_fail)
    for text in report.diffs:
        output.emit_text(text)
    if diff:
        for res in report.errors:
            _error(f"{res.path}: {res.error}")
        n, files_n = report.fixes, report.files_fixed
        _info(f"{n} fix{'es' if n != 1 else ''} in {files_n} file{'s' if files_n != 1 else ''} would be applied"
              if n else "nothing to fix")
        return report.exit_code
    if fmt == "human":
        if _styled(sys.stdout):
            text = formats.human(report.results)
            if text:
                output.out_console().print(text, highlight=False, soft_wrap=True)
        else:  # a pipe or file: the same text without styles, and without importing rich
            output.emit_text(formats.human(report.results, markup=False))
    else:
        output.emit_text(formats.render(fmt, report.results, rules))
    for res in report.errors:
        where = res.path + (f":{res.error_line}" if res.error_line else "") + (
            f":{res.error_column}" if res.error_line and res.error_column else "")
        _error(f"{where}: {res.error}")
    _info(formats.summary(report.results))
    return report.exit_code


def _styled(stream: Any) -> bool:
    """Whether to style output for a terminal (rich), honouring NO_COLOR/FORCE_COLOR."""
    import os

    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _info(message: str) -> None:
    """A line for people on stderr (rich only on a terminal)."""
    import sys

    from dockline import output

    if _styled(sys.stderr):
        output.info(message)
    else:
        sys.stderr.write(message + "\n")


def _error(message: str) -> None:
    """``error: message`` on stderr (rich only on a terminal)."""
    import sys

    from dockline import output

    if _styled(sys.stderr):
        output.error(message)
    else:
        sys.stderr.write(f"error: {message}\n")


def register(cli: click.Group) -> None:
    cli.add_command(lint_command)
