"""Local volumes: exists, remove unless in use."""

from __future__ import annotations

from dockline.engine.base import ApiBase
from dockline.engine.errors import NotFound


class VolumesMixin(ApiBase):
    """The volume endpoints (docker-py's ``VolumeApiMixin``)."""

    def volume_exists(self, name: str) -> bool:
        """Whether a local volume of that name exists."""
        try:
            self.call("the volume inspect", self._api.inspect_volume, name)
            return True
        except NotFound:
            return False

    def remove_volume(self, name: str) -> bool:
        """Remove a volume; True when gone (absent is gone), False while a container uses it."""
        return self._remove("the volume removal", self._api.remove_volume, name, absent=True)
