"""Live session updates fanned out to the apps watching them, in this process and, on PostgreSQL, in every other.

The process holding a charger's socket computes each update and publishes it; every process keeps the latest
update of each open session and hands it to the WebSocket and SSE streams connected to it. Between processes
updates travel over PostgreSQL LISTEN/NOTIFY on one channel; publishing never waits for a database write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Final

import msgspec

from api.metrics import instruments as metrics
from api.notify_relay import NotifyRelay

logger = logging.getLogger(__name__)

CHANNEL: Final = "voltway_session_updates"
QUEUE_SIZE: Final = 32


class _Envelope(msgspec.Struct, frozen=True):
    origin: str
    session_id: str
    update: msgspec.Raw
    final: bool = False
    at: float = 0.0  # publication time on the origin (Unix seconds), for the fan-out lag


class UpdateQueue(asyncio.Queue[bytes | None]):
    """One app stream's updates: a slow reader loses old updates, not new ones, and each update taken is timed
    from its publication (the fan-out lag)."""

    def _init(self, maxsize: int) -> None:
        super()._init(maxsize)
        self._stamps: deque[tuple[float, str]] = deque()
        self._next: tuple[float, str] = (0.0, "local")
        self._dropping = False

    def offer(self, item: bytes | None, published_at: float = 0.0, path: str = "local") -> None:
        if self.full():
            self._dropping = True
            try:
                self.get_nowait()
            finally:
                self._dropping = False
            metrics.LIVE_UPDATES_DROPPED.inc()
        self._next = (published_at, path)
        self.put_nowait(item)

    def _put(self, item: bytes | None) -> None:
        self._stamps.append(self._next)
        super()._put(item)

    def _get(self) -> bytes | None:
        item = super()._get()
        published_at, path = self._stamps.popleft()
        if item is not None and published_at and not self._dropping:
            metrics.live_update_taken(published_at, path)
        return item


class SessionUpdates:
    """Latest update per session plus subscriber queues; `publish` is synchronous and never blocks."""

    def __init__(self, database_url: str | None = None) -> None:
        self._relay = NotifyRelay(database_url, CHANNEL, "session updates", self._on_notification)
        self.origin = self._relay.origin
        self._latest: dict[uuid.UUID, bytes] = {}
        self._queues: dict[uuid.UUID, set[UpdateQueue]] = {}
        self.published = 0
        # told of every update this process delivers, its own and relayed ones: (session id, update, final)
        self.taps: list[Callable[[uuid.UUID, bytes, bool], None]] = []

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on PostgreSQL (reconnecting in the background while it is unreachable); nothing on SQLite."""
        await self._relay.start()

    async def stop(self) -> None:
        await self._relay.stop()
        for queues in self._queues.values():
            for queue in queues:
                queue.offer(None)

    @property
    def listening(self) -> bool:
        """Whether other processes' updates reach this one (always on SQLite, where there are none)."""
        return self._relay.listening

    # -- publishing ------------------------------------------------------------------------------------------

    def publish(self, session_id: uuid.UUID, update: bytes, *, final: bool = False) -> None:
        """Deliver here at once and, on PostgreSQL, to the other processes; `final` ends the session's streams."""
        self.published += 1
        at = time.time()
        self._deliver(session_id, update, final=final, published_at=at)
        if self._relay.relays:
            envelope = _Envelope(self.origin, str(session_id), msgspec.Raw(update), final=final, at=at)
            self._relay.send(msgspec.json.encode(envelope).decode())

    def _deliver(
        self, session_id: uuid.UUID, update: bytes, *, final: bool, published_at: float, path: str = "local"
    ) -> None:
        if final:
            self._latest.pop(session_id, None)
        else:
            self._latest[session_id] = update
        for queue in self._queues.get(session_id, ()):
            queue.offer(update, published_at, path)
            if final:
                queue.offer(None)
        for tap in self.taps:
            tap(session_id, update, final)

    def _on_notification(self, payload: str) -> None:
        try:
            envelope = msgspec.json.decode(payload, type=_Envelope)
            session_id = uuid.UUID(envelope.session_id)
        except (msgspec.DecodeError, ValueError):
            logger.warning("ignored a malformed session update: %.200s", payload)
            return
        if envelope.origin != self.origin:
            self._deliver(
                session_id, bytes(envelope.update), final=envelope.final, published_at=envelope.at, path="relayed"
            )

    # -- reading ---------------------------------------------------------------------------------------------

    def latest(self, session_id: uuid.UUID) -> bytes | None:
        return self._latest.get(session_id)

    @property
    def subscribers(self) -> int:
        """App streams watching a session in this process."""
        return sum(len(queues) for queues in self._queues.values())

    @contextlib.asynccontextmanager
    async def subscribe(self, session_id: uuid.UUID) -> AsyncIterator[UpdateQueue]:
        """A queue of this session's updates (None: the stream ends); a slow reader loses old updates, not new."""
        queue = UpdateQueue(QUEUE_SIZE)
        self._queues.setdefault(session_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._queues.get(session_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._queues[session_id]
