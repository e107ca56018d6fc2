"""Live session updates fanned out to the apps watching them, in this process and, on PostgreSQL, in every other.

The process holding a charger's socket computes each update and publishes it; every process keeps the latest
update of each open session and hands it to the WebSocket and SSE streams connected to it. Between processes
updates travel over PostgreSQL LISTEN/NOTIFY on one channel; publishing never waits for a database write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Final

import asyncpg
import msgspec
from sqlalchemy.engine import make_url

from api.metrics import instruments as metrics

logger = logging.getLogger(__name__)

CHANNEL: Final = "voltway_session_updates"
QUEUE_SIZE: Final = 32
NOTIFY_LIMIT_BYTES: Final = 7999
RECONNECT_SECONDS: Final = 2.0


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
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._dsn = (
            make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
            if database_url and database_url.startswith("postgresql")
            else None
        )
        self._latest: dict[uuid.UUID, bytes] = {}
        self._queues: dict[uuid.UUID, set[UpdateQueue]] = {}
        self._outgoing: asyncio.Queue[bytes] | None = None
        self._connection: Any = None
        self._sender: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self.published = 0

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on PostgreSQL (reconnecting in the background while it is unreachable); nothing on SQLite."""
        if self._dsn is None or self._sender is not None:
            return
        self._outgoing = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_forever(), name="session updates notify")
        self._keeper = asyncio.create_task(self._keep_listening(), name="session updates listen")

    async def _keep_listening(self) -> None:
        while True:
            if self._connection is None or self._connection.is_closed():
                try:
                    connection = await asyncpg.connect(self._dsn)
                    await connection.add_listener(CHANNEL, self._on_notification)
                    self._connection = connection
                except (asyncpg.PostgresError, OSError) as exc:
                    logger.warning("session updates: cannot listen on PostgreSQL (%s); retrying", exc)
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

    def publish(self, session_id: uuid.UUID, update: bytes, *, final: bool = False) -> None:
        """Deliver here at once and, on PostgreSQL, to the other processes; `final` ends the session's streams."""
        self.published += 1
        at = time.time()
        self._deliver(session_id, update, final=final, published_at=at)
        if self._outgoing is not None:
            envelope = msgspec.json.encode(
                _Envelope(self.origin, str(session_id), msgspec.Raw(update), final=final, at=at)
            )
            if len(envelope) <= NOTIFY_LIMIT_BYTES:
                self._outgoing.put_nowait(envelope)
            else:
                logger.warning("session update of %d bytes too large for NOTIFY; not relayed", len(envelope))

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

    async def _send_forever(self) -> None:
        assert self._outgoing is not None
        while True:
            payload = await self._outgoing.get()
            batch = [payload]
            while not self._outgoing.empty() and len(batch) < 200:
                batch.append(self._outgoing.get_nowait())
            if self._connection is None or self._connection.is_closed():
                logger.warning("session updates: %d not relayed, PostgreSQL is not reachable", len(batch))
                continue
            try:
                await self._connection.executemany(
                    "SELECT pg_notify($1, $2)", [(CHANNEL, item.decode("utf-8")) for item in batch]
                )
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                logger.exception("could not relay %d session updates", len(batch))

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
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
