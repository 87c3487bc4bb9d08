"""The engine's event stream."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from dockline.engine.base import ApiBase
from dockline.engine.convert import event
from dockline.swarm.model import EngineEvent

log = logging.getLogger("dockline.engine")


class EventSubscription:
    """An open event stream. Iterate for :class:`EngineEvent`; ``close()`` ends the iteration."""

    def __init__(self, stream: Any):
        self._stream = stream

    def __iter__(self) -> Iterator[EngineEvent]:
        try:
            for raw in self._stream:
                yield event(raw)
        except Exception as e:  # noqa: BLE001 - a closed stream ends the iteration
            log.debug("event stream ended: %s", e)

    def close(self) -> None:
        try:
            self._stream.close()
        except Exception as e:  # noqa: BLE001
            log.debug("closing the event stream: %s", e)


class EventsMixin(ApiBase):
    """The ``/events`` endpoint (docker-py's ``DaemonApiMixin.events``)."""

    def subscribe_events(self, filters: Mapping[str, Sequence[str]],
                         since: datetime | None = None) -> EventSubscription:
        """Open the engine's event stream; iterate it (blocking), ``close()`` from any thread."""
        stream = self.call("the event stream", self._api.events, since=since,
                           filters={k: list(v) for k, v in filters.items()}, decode=True)
        return EventSubscription(stream)
