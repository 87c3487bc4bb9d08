"""One error hierarchy for dockline.

Every error carries a one-line ``message``, an optional ``hint`` (what to do about it)
and an ``exit_code`` following DESIGN.md:

* 0 success
* 1 the job ran and ended in failure (lint findings over the threshold, failed deploy)
* 2 bad input (usage, invalid file, missing variable); nothing was changed
* 3 the environment (no engine, not a swarm manager, quorum lost)

Health probes exit only 0 or 1 (Docker reserves 2); they translate errors themselves.
Unexpected exceptions exit with ``EXIT_INTERNAL`` and show a traceback only with --debug.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in dockline


class DocklineError(Exception):
    """Base class of every error dockline reports to a user."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


# --- bad input (exit 2) -------------------------------------------------------------
class BadInputError(DocklineError):
    """The user's input is wrong; nothing was changed."""

    exit_code = EXIT_BAD_INPUT


class UsageError(BadInputError):
    """Wrong command-line usage."""


class ConfigError(BadInputError):
    """A configuration file or value is invalid; the message names the key path."""


class DockerfileSyntaxError(BadInputError):
    """A Dockerfile could not be parsed."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.path = path
        self.line = line
        self.column = column
        where = ""
        if path is not None:
            where = path
            if line is not None:
                where += f":{line}"
                if column is not None:
                    where += f":{column}"
            where += ": "
        super().__init__(where + message, hint)
        self.raw_message = message


class StackError(BadInputError):
    """A stack file is invalid or cannot be resolved."""


class InterpolationError(StackError):
    """A ``${VAR:?msg}`` was unset, or a substitution is malformed."""


class RouteError(BadInputError):
    """A route is invalid (injection attempt, conflict, unknown service)."""


class PlacementError(BadInputError):
    """A service's placement constraints match no node."""


# --- environment (exit 3) -----------------------------------------------------------
class EnvironmentProblem(DocklineError):
    """Something about the environment prevents the job from running."""

    exit_code = EXIT_ENVIRONMENT


class EngineUnavailable(EnvironmentProblem):
    """No Docker engine answers."""


class NotSwarmManager(EnvironmentProblem):
    """The engine is not a swarm manager."""


class QuorumLost(EnvironmentProblem):
    """The swarm has no leader: too few managers are reachable."""


class EngineTimeout(EnvironmentProblem):
    """An engine call did not answer within its deadline."""


# --- job failures (exit 1) ----------------------------------------------------------
class JobFailed(DocklineError):
    """The job ran and ended in failure."""

    exit_code = EXIT_FAILURE


class EngineError(JobFailed):
    """The engine refused an operation (translated from docker.errors.APIError)."""


class BuildFailed(JobFailed):
    """An image build failed."""


class DeployFailed(JobFailed):
    """A deploy failed (tasks failing, placement, deadline)."""


class RollbackFailed(JobFailed):
    """A rollback did not restore the previous version."""


class RouterError(JobFailed):
    """Routing failed (nginx rejected the bundle, router did not converge)."""


class LockHeld(JobFailed):
    """Another dockline process holds the lock and did not release it in time."""


class VerifyFailed(JobFailed):
    """An image failed verification."""
