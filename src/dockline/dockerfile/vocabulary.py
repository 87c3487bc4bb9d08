"""The words users write to the linter, each list once: severity, format, ShellCheck-mode
and label-type names.

The CLI's options, dockline's settings (:class:`dockline.config.LintSettings`,
``DOCKLINE_LINT_*``) and the lint config files (:mod:`~dockline.dockerfile.lintconfig`:
``.dockline.yaml``, ``.hadolint.yaml``, ``HADOLINT_*``) all check against these.  A leaf
module that imports nothing: ``dockline --help`` and :mod:`dockline.config` read it at
start-up.  :mod:`~dockline.dockerfile.formats` renders every name in :data:`FORMATS` (a
test checks it).
"""

from __future__ import annotations

#: the levels a finding is reported at, worst first (``--error RULE`` ... ``--style RULE``)
LEVELS: tuple[str, ...] = ("error", "warning", "info", "style")
#: ``--failure-threshold``, ``lint.failure_threshold``, ``DOCKLINE_LINT_FAILURE_THRESHOLD``
THRESHOLDS: tuple[str, ...] = (*LEVELS, "none")
#: what a lint config file takes for a threshold or an override (``ignore``: hadolint's ``none``)
SEVERITY_NAMES: tuple[str, ...] = (*LEVELS, "ignore", "none")

#: the output formats, by their own names
FORMATS: tuple[str, ...] = ("human", "json", "sarif", "checkstyle", "gitlab", "github", "gnu", "codacy",
                            "sonarqube", "junit")
#: other names ``--format`` takes (hadolint's: tty, codeclimate, gitlab_codeclimate)
FORMAT_ALIASES: dict[str, str] = {"tty": "human", "codeclimate": "gitlab", "gitlab_codeclimate": "gitlab"}
#: more spellings accepted where settings are written (files, environment), not by ``--format``
SETTING_FORMAT_ALIASES: dict[str, str] = {"text": "human", "gitlab-codeclimate": "gitlab",
                                          "github-actions": "github"}
#: what ``--format`` accepts
CLI_FORMATS: tuple[str, ...] = (*FORMATS, *FORMAT_ALIASES)
#: what a setting accepts: every name above (``lint.format``, ``DOCKLINE_LINT_FORMAT``, ``format:``)
SETTING_FORMATS: tuple[str, ...] = (*CLI_FORMATS, *SETTING_FORMAT_ALIASES)

#: ``--shellcheck`` / ``shellcheck:``: SC findings when installed, always (else an error), never
SHELLCHECK_MODES: tuple[str, ...] = ("auto", "always", "never")
#: the types a ``label-schema`` entry (and ``--require-label LABEL:TYPE``) may name
LABEL_TYPES: tuple[str, ...] = ("text", "url", "semver", "hash", "rfc3339", "spdx", "email")


def canonical_format(name: str) -> str:
    """The format an accepted name stands for (``tty`` → ``human``); other names unchanged."""
    return FORMAT_ALIASES.get(name) or SETTING_FORMAT_ALIASES.get(name) or name
