"""Networks: list by label, find by exact name, create an attachable overlay, remove."""

from __future__ import annotations

from collections.abc import Mapping

from dockline.engine.base import ApiBase
from dockline.engine.convert import label_filter, network_info
from dockline.swarm.model import NetworkInfo


class NetworksMixin(ApiBase):
    """The network endpoints (docker-py's ``NetworkApiMixin``)."""

    def networks(self, labels: Mapping[str, str] | None = None) -> list[NetworkInfo]:
        rows = self.call("the network list", self._api.networks, filters=label_filter(labels) or None)
        return [network_info(r) for r in rows]

    def network_id(self, name: str) -> str | None:
        """A network's id by exact name; ``None`` when absent."""
        rows = self.call("the network list", self._api.networks, names=[name])
        return next((str(r["Id"]) for r in rows if r.get("Name") == name), None)

    def create_overlay_network(self, name: str, labels: Mapping[str, str]) -> str:
        """An attachable overlay network (standalone containers may join it too)."""
        res = self.call("the network create", self._api.create_network, name, driver="overlay",
                        attachable=True, labels=dict(labels), check_duplicate=True)
        return str(res["Id"])

    def remove_network(self, name_or_id: str) -> bool:
        """Remove a network; ``False`` when absent or still in use."""
        return self._remove("the network removal", self._api.remove_network, name_or_id)
