"""Dockerfile understanding: a BuildKit-exact parser, a typed model and semantics, and the linter.

* :mod:`dockline.dockerfile.model` -- the frozen dataclasses (Dockerfile, Instruction, ...).
* :mod:`dockline.dockerfile.parser` -- ``parse(text, path) -> Dockerfile``.
* :mod:`dockline.dockerfile.semantic` -- stages, ARG scoping, variable expansion.
* :mod:`dockline.dockerfile.shell` -- RUN bodies as shell commands.

The linter, one job per module (each imports only those above it)::

    findings    severities, findings, fixes, one file's result (pure values)
    analysis    what rules share: RUN bodies parsed once, shells, stages, ARG scopes
    registry    @rule registration, lookup, rule docs (--explain, --docs)
    rules/      the rules, one module per family
    shellcheck  SC findings on RUN bodies (the scripts, the binary)
    check       rules + ShellCheck on one parsed file; ignores, overrides, pragmas afterwards
    fixes       applying fixes until they settle
    inputs      Dockerfile discovery and reading; build-context files for the rules
    lint        the pipeline: lint_bytes (one file), lint_paths -> LintReport (many)
    formats     rendering a report; the one list of output formats
    lintconfig  .dockline.yaml / .hadolint.yaml / HADOLINT_* mapped into the lint settings

No heavy imports here: the linter must start fast.
"""
