"""Swarm nodes: list, inspect, relabel / change availability."""

from __future__ import annotations

from collections.abc import Mapping

from dockline.engine.base import ApiBase
from dockline.engine.convert import node_info
from dockline.engine.errors import NotFound
from dockline.errors import EngineError
from dockline.swarm.model import NodeInfo


class NodesMixin(ApiBase):
    """The node endpoints (docker-py's ``SwarmApiMixin`` node methods)."""

    def nodes(self) -> list[NodeInfo]:
        """Every node of the swarm (needs a manager with quorum)."""
        rows = self.call("the node list", self._api.nodes)
        return [node_info(r) for r in rows]

    def node(self, id_or_name: str) -> NodeInfo | None:
        """One node by id or hostname; ``None`` when it does not exist."""
        try:
            raw = self.call("the node inspect", self._api.inspect_node, id_or_name)
        except NotFound:
            return None
        return node_info(raw)

    def update_node(self, node_id: str, *, labels: Mapping[str, str] | None = None,
                    availability: str | None = None) -> NodeInfo:
        """Replace a node's labels and/or set its availability (active|pause|drain).
        Re-reads the node's version and retries when another writer got there first."""
        for attempt in range(3):
            raw = self.call("the node inspect", self._api.inspect_node, node_id)
            spec = dict(raw["Spec"])
            if labels is not None:
                spec["Labels"] = dict(labels)
            if availability is not None:
                spec["Availability"] = availability
            try:
                self.call("the node update", self._api.update_node, raw["ID"], raw["Version"]["Index"], spec)
            except EngineError as e:
                if "out of sequence" in e.message and attempt < 2:
                    continue
                raise
            break
        return node_info(self.call("the node inspect", self._api.inspect_node, node_id))
