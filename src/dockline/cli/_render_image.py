"""How ``dockline verify`` reads: the outcome for people, or as JSON. Rendering only."""

from __future__ import annotations

from dataclasses import asdict

from dockline import output
from dockline.image.verify import (
    SmokeFailed,
    Verified,
    VerifyDeadline,
    VerifyExited,
    VerifyOutcome,
    VerifyUnhealthy,
)


def outcome_json(outcome: VerifyOutcome) -> dict[str, object]:
    return {"outcome": type(outcome).__name__, **asdict(outcome)}


def report(outcome: VerifyOutcome) -> None:
    waited = f"{outcome.waited.total_seconds():.1f}s"
    if isinstance(outcome, Verified):
        output.success(f"{outcome.image} is healthy after {waited}")
        if outcome.health_log and outcome.health_log[-1]:
            output.info(f"  last healthcheck: {outcome.health_log[-1]}")
        if outcome.smoke_output is not None:
            output.success("smoke command exited 0")
            for entry in outcome.smoke_output.splitlines()[-10:]:
                output.info(f"  {entry}")
        return
    if isinstance(outcome, VerifyUnhealthy):
        output.failure(f"{outcome.image} is unhealthy after {waited}")
    elif isinstance(outcome, VerifyExited):
        output.failure(f"{outcome.image} exited (code {outcome.exit_code}) after {waited} before it was healthy")
    elif isinstance(outcome, VerifyDeadline):
        output.failure(f"{outcome.image} is still {outcome.status} after {waited} (the deadline)")
    elif isinstance(outcome, SmokeFailed):
        output.failure(f"{outcome.image} is healthy, but the smoke command exited {outcome.exit_code}")
        if outcome.output:
            output.info("smoke output:\n" + outcome.output)
    if outcome.health_log:
        output.info("last healthcheck outputs:")
        for entry in outcome.health_log:
            output.info(f"  {entry}")
    tail = getattr(outcome, "log_tail", "")
    if tail:
        output.info("container log (tail):")
        for entry in tail.splitlines():
            output.info(f"  {entry}")
