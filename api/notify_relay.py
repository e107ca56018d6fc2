"""Fan-out between processes over PostgreSQL LISTEN/NOTIFY: one channel, one listening connection per process,
sends batched, reconnection in the background while PostgreSQL is unreachable. On SQLite (one process) it does
nothing.

Callers deliver to their own process first and relay to the others through `send`; each payload they send carries
`origin`, so they recognise and skip their own when it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from typing import Any, Final

import asyncpg
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

NOTIFY_LIMIT_BYTES: Final = 7999  # PostgreSQL's NOTIFY payload limit, less one
RECONNECT_SECONDS: Final = 2.0
BATCH: Final = 200


class NotifyRelay:
    """`send` never blocks: payloads are queued and sent by a background task; `on_payload` gets every payload
    published on `channel` by any process (this one included)."""

    def __init__(self, database_url: str | None, channel: str, name: str, on_payload: Callable[[str], None]) -> None:
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.channel = channel
        self.name = name  # in log messages and task names, e.g. "session updates"
        self._on_payload = on_payload
        self._dsn = (
            make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
            if database_url and database_url.startswith("postgresql")
            else None
        )
        self._outgoing: asyncio.Queue[str] | None = None
        self._connection: Any = None
        self._sender: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None

    @property
    def relays(self) -> bool:
        """Whether there are other processes to relay to (PostgreSQL)."""
        return self._dsn is not None

    @property
    def listening(self) -> bool:
        """Whether other processes' payloads reach this one (always on SQLite, where there are none)."""
        return self._dsn is None or (self._connection is not None and not self._connection.is_closed())

    async def start(self) -> None:
        if self._dsn is None or self._sender is not None:
            return
        self._outgoing = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_forever(), name=f"{self.name} notify")
        self._keeper = asyncio.create_task(self._keep_listening(), name=f"{self.name} listen")

    async def stop(self) -> None:
        for task in (self._sender, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sender = self._keeper = None
        self._outgoing = None
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await connection.remove_listener(self.channel, self._notified)
            await connection.close()

    def send(self, payload: str) -> None:
        """Relay `payload` to the other processes (nothing before `start`, on SQLite, or when it is too large)."""
        if self._outgoing is None:
            return
        if len(payload.encode()) > NOTIFY_LIMIT_BYTES:
            logger.warning("%s: a message of %d bytes is too large for NOTIFY; not relayed", self.name, len(payload))
            return
        self._outgoing.put_nowait(payload)

    async def _keep_listening(self) -> None:
        while True:
            if self._connection is None or self._connection.is_closed():
                try:
                    connection = await asyncpg.connect(self._dsn)
                    await connection.add_listener(self.channel, self._notified)
                    self._connection = connection
                except (asyncpg.PostgresError, OSError) as exc:
                    logger.warning("%s: cannot listen on PostgreSQL (%s); retrying", self.name, exc)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _send_forever(self) -> None:
        assert self._outgoing is not None
        outgoing = self._outgoing
        while True:
            batch = [await outgoing.get()]
            while not outgoing.empty() and len(batch) < BATCH:
                batch.append(outgoing.get_nowait())
            if self._connection is None or self._connection.is_closed():
                logger.warning("%s: %d not relayed, PostgreSQL is not reachable", self.name, len(batch))
                continue
            try:
                await self._connection.executemany("SELECT pg_notify($1, $2)", [(self.channel, p) for p in batch])
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                logger.exception("%s: could not relay %d", self.name, len(batch))

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_payload(payload)
