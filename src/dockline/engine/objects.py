"""Swarm configs and secrets: list by label, read a config, create, relabel, remove unless
in use."""

from __future__ import annotations

import base64
from collections.abc import Mapping

from dockline.engine.base import ApiBase
from dockline.engine.convert import config_info, label_filter, secret_info
from dockline.engine.errors import NotFound
from dockline.swarm.model import ConfigInfo, SecretInfo


class ObjectsMixin(ApiBase):
    """The config and secret endpoints (docker-py's ``ConfigApiMixin``, ``SecretApiMixin``)."""

    def configs(self, labels: Mapping[str, str] | None = None) -> list[ConfigInfo]:
        rows = self.call("the config list", self._api.configs, filters=label_filter(labels) or None)
        return [config_info(r) for r in rows]

    def config_data(self, id_or_name: str) -> bytes | None:
        """A config's content; ``None`` when it does not exist."""
        try:
            raw = self.call("the config inspect", self._api.inspect_config, id_or_name)
        except NotFound:
            return None
        return base64.b64decode((raw.get("Spec") or {}).get("Data") or "")

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str] | None = None) -> str:
        """Create a config; returns its id."""
        res = self.call("the config create", self._api.create_config, name, data, labels=dict(labels or {}))
        return str(res["ID"])

    def set_config_labels(self, id_or_name: str, labels: Mapping[str, str]) -> None:
        """Replace a config's labels (the only update swarm allows on a config)."""
        raw = self.call("the config inspect", self._api.inspect_config, id_or_name)
        spec = dict(raw["Spec"])
        spec["Labels"] = dict(labels)
        self._post_update("the config update", "/configs/{0}/update", raw["ID"], raw["Version"]["Index"], spec)

    def remove_config(self, id_or_name: str) -> bool:
        """Remove a config; ``False`` when it is absent or still in use."""
        return self._remove("the config removal", self._api.remove_config, id_or_name)

    def secrets(self, labels: Mapping[str, str] | None = None) -> list[SecretInfo]:
        rows = self.call("the secret list", self._api.secrets, filters=label_filter(labels) or None)
        return [secret_info(r) for r in rows]

    def remove_secret(self, id_or_name: str) -> bool:
        """Remove a secret; ``False`` when it is absent or still in use."""
        return self._remove("the secret removal", self._api.remove_secret, id_or_name)
