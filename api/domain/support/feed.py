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
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any, Final

import asyncpg
import msgspec
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

CHANNEL: Final = "voltway_ticket_feed"
QUEUE_SIZE: Final = 64
NOTIFY_LIMIT_BYTES: Final = 7999
RECONNECT_SECONDS: Final = 2.0
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
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._dsn = (
            make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
            if database_url and database_url.startswith("postgresql")
            else None
        )
        self._queues: dict[str, set[FeedQueue]] = {}
        self._outgoing: asyncio.Queue[str] | None = None
        self._connection: Any = None
        self._sender: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on PostgreSQL (reconnecting in the background while it is unreachable); nothing on SQLite."""
        if self._dsn is None or self._sender is not None:
            return
        self._outgoing = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_forever(), name="ticket feed notify")
        self._keeper = asyncio.create_task(self._keep_listening(), name="ticket feed listen")

    async def _keep_listening(self) -> None:
        while True:
            if self._connection is None or self._connection.is_closed():
                try:
                    connection = await asyncpg.connect(self._dsn)
                    await connection.add_listener(CHANNEL, self._on_notification)
                    self._connection = connection
                except (asyncpg.PostgresError, OSError) as exc:
                    logger.warning("ticket feed: cannot listen on PostgreSQL (%s); retrying", exc)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def stop(self) -> None:
        for task in (self._sender, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sender = self._keeper = None
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await connection.remove_listener(CHANNEL, self._on_notification)
            await connection.close()
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
        if self._outgoing is None:
            return
        envelope = msgspec.json.encode(_Envelope(self.origin, topic, kind, msgspec.Raw(data))).decode()
        if len(envelope.encode()) <= NOTIFY_LIMIT_BYTES:
            self._outgoing.put_nowait(envelope)
        else:
            logger.warning("ticket event of %d bytes too large for NOTIFY; not relayed", len(envelope))

    def _deliver(self, topic: str, event: FeedEvent) -> None:
        for queue in self._queues.get(topic, ()):
            queue.offer(event)

    async def _send_forever(self) -> None:
        assert self._outgoing is not None
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty() and len(batch) < 200:
                batch.append(self._outgoing.get_nowait())
            if self._connection is None or self._connection.is_closed():
                logger.warning("ticket feed: %d events not relayed, PostgreSQL is not reachable", len(batch))
                continue
            try:
                await self._connection.executemany("SELECT pg_notify($1, $2)", [(CHANNEL, item) for item in batch])
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                logger.exception("could not relay %d ticket events", len(batch))

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
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
        return self._dsn is None or (self._connection is not None and not self._connection.is_closed())

    @property
    def subscribers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())
