"""Live alert changes for the operations console: every opened or changed alert is published after its commit to
this process's streams and, on PostgreSQL, to every other process over LISTEN/NOTIFY. Each stream sees only the
alerts of the sites in its reader's scope."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Final

import msgspec

from api.domain.operations.alerts.schemas import AlertSummary
from api.domain.operations.scope import SiteScope
from api.domain.support.feed import FeedEvent, FeedQueue
from api.notify_relay import NotifyRelay

logger = logging.getLogger(__name__)

CHANNEL: Final = "voltway_alert_feed"
QUEUE_SIZE: Final = 64
EVENT: Final = "alert"


class _Envelope(msgspec.Struct, frozen=True):
    origin: str
    location_id: uuid.UUID | None
    data: msgspec.Raw


class AlertFeed:
    def __init__(self, database_url: str | None = None) -> None:
        self._relay = NotifyRelay(database_url, CHANNEL, "alert feed", self._on_notification)
        self.origin = self._relay.origin
        self._streams: dict[FeedQueue, SiteScope] = {}

    async def start(self) -> None:
        await self._relay.start()

    async def stop(self) -> None:
        await self._relay.stop()
        for queue in self._streams:
            queue.offer(None)

    def alert_changed(self, summary: AlertSummary) -> None:
        """An alert was opened or changed (committed)."""
        data = msgspec.json.encode(summary)
        self._deliver(summary.location_id, data)
        if self._relay.relays:
            envelope = _Envelope(self.origin, summary.location_id, msgspec.Raw(data))
            self._relay.send(msgspec.json.encode(envelope).decode())

    def _deliver(self, location_id: uuid.UUID | None, data: bytes) -> None:
        for queue, scope in self._streams.items():
            if scope.everything or (location_id is not None and scope.allows(location_id)):
                queue.offer(FeedEvent(EVENT, data))

    def _on_notification(self, payload: str) -> None:
        try:
            envelope = msgspec.json.decode(payload, type=_Envelope)
        except msgspec.DecodeError:
            logger.warning("ignored a malformed alert event: %.200s", payload)
            return
        if envelope.origin != self.origin:
            self._deliver(envelope.location_id, bytes(envelope.data))

    @contextlib.asynccontextmanager
    async def subscribe(self, scope: SiteScope) -> AsyncIterator[FeedQueue]:
        """The alert changes the reader of `scope` may see."""
        queue = FeedQueue(QUEUE_SIZE)
        self._streams[queue] = scope
        try:
            yield queue
        finally:
            self._streams.pop(queue, None)
