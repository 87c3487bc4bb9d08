"""Declarative node labels: a file says which labels each node carries.

The file (YAML)::

    nodes:
      lab-m2:            # a hostname, a full node id or a unique id prefix
        zone: east
      lab-w1:
        zone: east
        disk: ssd

:func:`plan_labels` compares it with the live nodes and returns the changes; applying
them twice changes nothing the second time. Without ``prune`` only declared labels are
added or changed; with ``prune`` the labels of the *listed* nodes that the file does not
declare are removed too (nodes the file does not list are never touched).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from dockline.cluster.nodes import resolve_node
from dockline.errors import BadInputError, ConfigError
from dockline.swarm.model import NodeInfo

# Docker accepts almost any label key; we accept the reverse-DNS-ish subset that
# placement constraints can name (swarmkit's key pattern) so every label is usable.
_LABEL_KEY = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?")
_MAX_VALUE = 1024


@dataclass(frozen=True)
class LabelAdded:
    key: str
    value: str


@dataclass(frozen=True)
class LabelChanged:
    key: str
    old: str
    new: str


@dataclass(frozen=True)
class LabelRemoved:
    key: str
    old: str


LabelChange = LabelAdded | LabelChanged | LabelRemoved


@dataclass(frozen=True)
class NodeLabelPlan:
    """What changes on one node, and the full label set it ends with."""

    node: NodeInfo
    changes: tuple[LabelChange, ...]
    desired: Mapping[str, str]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def load_label_file(text: str, source: str = "nodes.yml") -> dict[str, dict[str, str]]:
    """Parse and validate a label file; errors name the key path (exit 2)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from e
    if not isinstance(doc, dict) or set(doc) != {"nodes"}:
        raise ConfigError(
            f"{source}: expected one top-level key `nodes` (node -> labels)",
            "nodes:\n  node-name:\n    zone: east",
        )
    nodes = doc["nodes"]
    if not isinstance(nodes, dict):
        raise ConfigError(f"{source}: nodes: should be a mapping of node name or id to labels")
    out: dict[str, dict[str, str]] = {}
    for ref, labels in nodes.items():
        path = f"{source}: nodes.{ref}"
        if not isinstance(ref, str) or not ref.strip():
            raise ConfigError(f"{source}: nodes: node names must be strings, got {ref!r}")
        if labels is None:
            labels = {}
        if not isinstance(labels, dict):
            raise ConfigError(f"{path}: should be a mapping of label to value")
        clean: dict[str, str] = {}
        for key, value in labels.items():
            if not isinstance(key, str) or not _LABEL_KEY.fullmatch(key):
                raise ConfigError(
                    f"{path}: label key {key!r} is invalid",
                    "use letters, digits, '.', '-' and '_' (e.g. zone, com.example.disk)",
                )
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ConfigError(
                    f"{path}.{key}: should be a string, got {value!r}",
                    "quote values YAML reads as booleans or null: \"yes\", \"true\", \"\"",
                )
            text_value = str(value)
            if len(text_value) > _MAX_VALUE or any(ord(ch) < 32 or ord(ch) == 127 for ch in text_value):
                raise ConfigError(f"{path}.{key}: value must be one line of at most {_MAX_VALUE} characters")
            clean[key] = text_value
        out[ref] = clean
    return out


def plan_labels(
    declared: Mapping[str, Mapping[str, str]], nodes: Sequence[NodeInfo], *, prune: bool = False
) -> list[NodeLabelPlan]:
    """Changes that make the listed nodes carry the declared labels (pure)."""
    seen: dict[str, str] = {}
    plans = []
    for ref in declared:
        node = resolve_node(ref, nodes)
        if node is None:
            known = ", ".join(sorted(n.hostname for n in nodes)) or "none"
            raise BadInputError(f"node {ref!r} is not in the swarm", f"nodes: {known}")
        if isinstance(node, tuple):
            ids = ", ".join(f"{n.hostname} ({n.id[:12]})" for n in node)
            raise BadInputError(f"node {ref!r} is ambiguous: {ids}", "use the node id")
        if node.id in seen:
            raise BadInputError(f"node {node.hostname} is declared twice ({seen[node.id]!r} and {ref!r})")
        seen[node.id] = ref
        want = dict(declared[ref])
        current = dict(node.labels)
        changes: list[LabelChange] = []
        for key in sorted(want):
            if key not in current:
                changes.append(LabelAdded(key, want[key]))
            elif current[key] != want[key]:
                changes.append(LabelChanged(key, current[key], want[key]))
        desired = dict(current)
        desired.update(want)
        if prune:
            for key in sorted(set(current) - set(want)):
                changes.append(LabelRemoved(key, current[key]))
                del desired[key]
        plans.append(NodeLabelPlan(node, tuple(changes), desired))
    return plans


def render_change(change: LabelChange) -> str:
    """One diff line: ``+ zone=east``, ``~ zone: west -> east``, ``- disk=ssd``."""
    if isinstance(change, LabelAdded):
        return f"+ {change.key}={change.value}"
    if isinstance(change, LabelChanged):
        return f"~ {change.key}: {change.old} -> {change.new}"
    return f"- {change.key}={change.old}"
