"""Deploy records kept in the swarm itself, one labelled config per deploy.

A record holds the resolved stack (the document handed to the engine, with absolute paths)
and the content of its versioned configs, so ``dockline rollback`` can redeploy it even
after those configs were collected. It never holds a secret's value: secrets appear by
name only. Labels carry the stack, the version number, the source and the outcome
(a config's labels are the one thing swarm lets us update).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dockline.stack.model import HistoryRecord
from dockline.swarm.model import ConfigInfo
from dockline.swarm.protocols import HistoryEngine

LABEL = "dockline.history"
LABEL_STACK = "dockline.history.stack"
LABEL_VERSION = "dockline.history.version"
LABEL_OUTCOME = "dockline.history.outcome"
LABEL_SOURCE = "dockline.history.source"
LABEL_CREATED = "dockline.history.created"
KEEP = 10
#: Swarm caps a config at 500 KiB; past this, config contents are left out of the record.
MAX_INLINE = 400 * 1024


@dataclass(frozen=True)
class RecordData:
    """The content of a record."""

    doc: Mapping[str, Any]
    configs: Mapping[str, bytes]  # config name -> content


def record_name(stack: str, version: int) -> str:
    return f"dockline-history-{stack}-v{version}"


def _record(c: ConfigInfo) -> HistoryRecord | None:
    try:
        version = int(c.labels.get(LABEL_VERSION, ""))
    except ValueError:
        return None
    return HistoryRecord(
        stack=c.labels.get(LABEL_STACK, ""),
        version=version,
        created_at=c.created_at,
        outcome=c.labels.get(LABEL_OUTCOME, "pending"),
        config_id=c.id,
        config_name=c.name,
        source=c.labels.get(LABEL_SOURCE, "deploy"),
    )


def list_records(engine: HistoryEngine, stack: str | None = None) -> list[HistoryRecord]:
    """Records of one stack (or all), oldest first."""
    labels = {LABEL: "1", **({LABEL_STACK: stack} if stack else {})}
    recs = [r for r in (_record(c) for c in engine.configs(labels)) if r is not None]
    return sorted(recs, key=lambda r: (r.stack, r.version))


def write_record(engine: HistoryEngine, stack: str, version: int, doc: Mapping[str, Any],
                 configs: Mapping[str, bytes], source: str) -> HistoryRecord:
    """Store a pending record; returns it."""
    inline = {k: base64.b64encode(v).decode() for k, v in configs.items()}
    if sum(len(v) for v in inline.values()) > MAX_INLINE:
        inline = {}
    payload = {"format": 1, "stack": stack, "version": version, "source": source, "doc": doc, "configs": inline}
    data = json.dumps(payload, sort_keys=True).encode()
    now = datetime.now(UTC)
    labels = {LABEL: "1", LABEL_STACK: stack, LABEL_VERSION: str(version), LABEL_OUTCOME: "pending",
              LABEL_SOURCE: source, LABEL_CREATED: now.isoformat()}
    name = record_name(stack, version)
    cid = engine.create_config(name, data, labels)
    return HistoryRecord(stack, version, now, "pending", cid, name, source)


def read_record(engine: HistoryEngine, record: HistoryRecord) -> RecordData:
    raw = engine.config_data(record.config_id)
    if raw is None:
        from dockline.errors import StackError

        raise StackError(f"deploy record {record.config_name} is gone")
    payload = json.loads(raw)
    return RecordData(doc=payload["doc"],
                      configs={k: base64.b64decode(v) for k, v in (payload.get("configs") or {}).items()})


def set_outcome(engine: HistoryEngine, record: HistoryRecord, outcome: str) -> None:
    configs = [c for c in engine.configs({LABEL: "1", LABEL_STACK: record.stack}) if c.id == record.config_id]
    if not configs:
        return
    engine.set_config_labels(record.config_id, {**configs[0].labels, LABEL_OUTCOME: outcome})


def prune_records(engine: HistoryEngine, stack: str, keep: int = KEEP) -> int:
    """Remove all but the newest ``keep`` records; returns how many went."""
    recs = list_records(engine, stack)
    gone = 0
    for r in recs[:-keep] if len(recs) > keep else []:
        gone += engine.remove_config(r.config_id)
    return gone


def remove_records(engine: HistoryEngine, stack: str) -> int:
    return sum(engine.remove_config(r.config_id) for r in list_records(engine, stack))


def rollback_target(records: list[HistoryRecord], to_version: int | None) -> HistoryRecord | None:
    """The record ``dockline rollback`` redeploys: ``to_version``, or the newest converged
    record older than the newest record (the current deploy)."""
    if to_version is not None:
        return next((r for r in records if r.version == to_version), None)
    if len(records) < 2:
        return None
    older = records[:-1]
    good = [r for r in older if r.outcome == "converged"]
    return (good or older)[-1]
