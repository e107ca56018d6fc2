"""Live ticket changes for the people watching them: the agents' queue and the driver's conversation.

Code that changed a ticket calls, after its commit:

- `ticket_feed.ticket_changed(summary)` with the ticket's `TicketSummary` (api.domain.support.schemas; build it
  with `await api.domain.support.views.summary(session, ticket, now)`): every agent queue stream gets
  `event: ticket`;
- `ticket_feed.conversation_event(conversation_id, kind, data)` with `kind` one of `agent_reply`, `ticket_status`,
  `survey` and `data` a msgspec Struct or a JSON-ready dict: the driver's conversation stream gets `event: <kind>`.

Both are synchronous and never block: the event is delivered to this process's streams at once and, on
PostgreSQL, relayed to every other process over LISTEN/NOTIFY (the approach of api.domain.sessions.updates); on
SQLite there is one process and nothing to relay. A slow reader loses old events, not new ones.

Several changes in one transaction: collect them in an `api.domain.support.publishing.Pending` and call its
`publish(session, ticket_feed, now)` after the commit (what the agents' desk does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any, Final

import msgspec

from api.notify_relay import NotifyRelay

logger = logging.getLogger(__name__)

CHANNEL: Final = "voltway_ticket_feed"
QUEUE_SIZE: Final = 64
QUEUE_TOPIC: Final = "queue"


class FeedEvent(msgspec.Struct, frozen=True):
    """One server-sent event: its name and its JSON data."""

    kind: str
    data: bytes


class _Envelope(msgspec.Struct, frozen=True):
    origin: str
    topic: str  # "queue" or a conversation id
    kind: str
    data: msgspec.Raw


class FeedQueue(asyncio.Queue[FeedEvent | None]):
    """One stream's events (None: the stream ends); when full, the oldest event makes room."""

    def offer(self, item: FeedEvent | None) -> None:
        if self.full():
            self.get_nowait()
        self.put_nowait(item)


class TicketFeed:
    """Subscriber queues per topic, fed here and, on PostgreSQL, from every other process."""

    def __init__(self, database_url: str | None = None) -> None:
        self._relay = NotifyRelay(database_url, CHANNEL, "ticket feed", self._on_notification)
        self.origin = self._relay.origin
        self._queues: dict[str, set[FeedQueue]] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on PostgreSQL (reconnecting in the background while it is unreachable); nothing on SQLite."""
        await self._relay.start()

    async def stop(self) -> None:
        await self._relay.stop()
        for queues in self._queues.values():
            for queue in queues:
                queue.offer(None)

    # -- publishing ------------------------------------------------------------------------------------------

    def ticket_changed(self, summary: Any) -> None:
        """A ticket was created or changed (committed): `summary` is its TicketSummary, for the agents' queue."""
        self._publish(QUEUE_TOPIC, "ticket", msgspec.json.encode(summary))

    def conversation_event(self, conversation_id: uuid.UUID, kind: str, data: Any) -> None:
        """Something the driver of `conversation_id` sees at once: `agent_reply`, `ticket_status` or `survey`."""
        self._publish(str(conversation_id), kind, msgspec.json.encode(data))

    def _publish(self, topic: str, kind: str, data: bytes) -> None:
        self._deliver(topic, FeedEvent(kind, data))
        if self._relay.relays:
            self._relay.send(msgspec.json.encode(_Envelope(self.origin, topic, kind, msgspec.Raw(data))).decode())

    def _deliver(self, topic: str, event: FeedEvent) -> None:
        for queue in self._queues.get(topic, ()):
            queue.offer(event)

    def _on_notification(self, payload: str) -> None:
        try:
            envelope = msgspec.json.decode(payload, type=_Envelope)
        except msgspec.DecodeError:
            logger.warning("ignored a malformed ticket event: %.200s", payload)
            return
        if envelope.origin != self.origin:
            self._deliver(envelope.topic, FeedEvent(envelope.kind, bytes(envelope.data)))

    # -- reading ---------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _subscribe(self, topic: str) -> AsyncIterator[FeedQueue]:
        queue = FeedQueue(QUEUE_SIZE)
        self._queues.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._queues.get(topic)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._queues[topic]

    def subscribe_queue(self) -> contextlib.AbstractAsyncContextManager[FeedQueue]:
        """Every ticket change, for an agent's queue stream."""
        return self._subscribe(QUEUE_TOPIC)

    def subscribe_conversation(self, conversation_id: uuid.UUID) -> contextlib.AbstractAsyncContextManager[FeedQueue]:
        """The events of one driver's conversation."""
        return self._subscribe(str(conversation_id))

    @property
    def listening(self) -> bool:
        """Whether other processes' events reach this one (always on SQLite, where there are none)."""
        return self._relay.listening

    @property
    def subscribers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())
