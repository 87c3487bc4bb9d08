"""Typed models of stack deploys: records, plans and their changes.

The Docker objects a deploy reads (services, tasks, configs...) are in ``dockline.swarm.model``.
Everything here is a frozen dataclass; timestamps are timezone-aware ``datetime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


# --------------------------------------------------------------------------- deploy records
@dataclass(frozen=True)
class HistoryRecord:
    """One deploy of a stack, as recorded in the swarm (a labelled config)."""

    stack: str
    version: int
    created_at: datetime | None
    outcome: str  # pending | converged | failed | rolled_back | timed_out
    config_id: str
    config_name: str
    source: str  # "deploy" | "rollback:<version>"


@dataclass(frozen=True)
class ServiceChange:
    """One service in a plan."""

    service: str
    action: str  # create | update | remove | unchanged
    changed_fields: tuple[str, ...] = ()
    image: str | None = None
    image_digest: str | None = None


@dataclass(frozen=True)
class ObjectChange:
    """One config or secret version in a plan (names only, never values)."""

    kind: str  # config | secret
    key: str  # the stack's key for it
    name: str  # the content-addressed name
    action: str  # create | keep


@dataclass(frozen=True)
class Plan:
    """What a deploy would change."""

    stack: str
    services: tuple[ServiceChange, ...]
    objects: tuple[ObjectChange, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def has_changes(self) -> bool:
        return any(s.action != "unchanged" for s in self.services) or any(
            o.action != "keep" for o in self.objects
        )
