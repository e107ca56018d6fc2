"""Live changes of the network for the operators watching it, each only for the locations in their scope.

Three kinds of event reach a subscriber:

- `charger`: a charger connected or lost its connection (`ChargerLink`), and `evse`: an EVSE's status or error
  changed (`EvseChange`). The live-state writer reports them after each flush's commit (`stored`), so a page that
  reads the network again sees what the events said. They travel between processes over PostgreSQL LISTEN/NOTIFY on
  a channel of their own (the approach of the session updates and the ticket feed); on SQLite there is one process.
- `session`: a running session's energy, power and state (`SessionProgress`), taken from the session updates every
  process already receives (`session_update`, a tap on `SessionUpdates`): nothing is published twice.

A subscriber's queue keeps the newest event per charger, EVSE or session: a slow reader skips intermediate meter
readings, never the latest state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Final

import msgspec

from api.domain.chargers.live_writer import StoredLink, StoredStatus
from api.domain.operations.network.schemas import AUTH_OF_SOURCE, ChargerLink, EvseChange, SessionProgress
from api.domain.operations.scope import SiteScope
from api.notify_relay import NotifyRelay

logger = logging.getLogger(__name__)

CHANNEL: Final = "voltway_network_feed"


class NetworkEvent(msgspec.Struct, frozen=True):
    """One server-sent event: its name, the location it concerns, its JSON data."""

    kind: str
    key: str  # what a newer event of the same key replaces in a queue not yet read
    location_id: uuid.UUID
    data: bytes


class _Envelope(msgspec.Struct, frozen=True):
    origin: str
    kind: str
    key: str
    location_id: uuid.UUID
    data: msgspec.Raw


class _SessionUpdate(msgspec.Struct, rename="camel"):
    """What the network view reads of a session update (api.domain.sessions.schemas.SessionView)."""

    id: uuid.UUID
    status: str
    source: str
    location_id: uuid.UUID
    evse_uid: str
    energy_kwh: Decimal
    elapsed_seconds: int
    started_at: datetime | None = None
    power_kw: Decimal | None = None
    soc_percent: float | None = None


class LatestQueue:
    """Events for one stream, the newest per key, in the order their keys first arrived; None ends the stream."""

    def __init__(self) -> None:
        self._pending: dict[str, NetworkEvent] = {}
        self._ready = asyncio.Event()
        self._closed = False

    def offer(self, event: NetworkEvent) -> None:
        self._pending[event.key] = event
        self._ready.set()

    def __len__(self) -> int:
        """Events waiting to be taken."""
        return len(self._pending)

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def take(self) -> list[NetworkEvent] | None:
        """Everything waiting (at least one event), or None once closed."""
        await self._ready.wait()
        if self._closed:
            return None
        taken, self._pending = list(self._pending.values()), {}
        self._ready.clear()
        return taken


class NetworkFeed:
    """Subscriber queues, each with the site scope of its operator, fed here and from every other process."""

    def __init__(self, database_url: str | None = None) -> None:
        self._relay = NotifyRelay(database_url, CHANNEL, "network feed", self._on_notification)
        self.origin = self._relay.origin
        self._subscribers: dict[LatestQueue, SiteScope] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on PostgreSQL (reconnecting in the background while it is unreachable); nothing on SQLite."""
        await self._relay.start()

    async def stop(self) -> None:
        await self._relay.stop()
        for queue in self._subscribers:
            queue.close()

    @property
    def listening(self) -> bool:
        """Whether other processes' events reach this one (always on SQLite, where there are none)."""
        return self._relay.listening

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # -- publishing ------------------------------------------------------------------------------------------

    def stored(self, links: Iterable[StoredLink], statuses: Iterable[StoredStatus]) -> None:
        """Connections and EVSE statuses just committed by this process's live-state writer (its `on_stored`)."""
        for link in links:
            data = ChargerLink(
                charger_id=link.ocpp_id,
                location_id=link.location_id,
                connected=link.connected,
                held_by=link.held_by,
                last_seen=link.at,
                ocpp_version=link.ocpp_version,
            )
            self._publish(NetworkEvent("charger", f"c:{link.ocpp_id}", link.location_id, msgspec.json.encode(data)))
        for status in statuses:
            change = EvseChange(
                evse_id=status.evse_id,
                location_id=status.location_id,
                ocpi_status=status.status,
                ocpp_status=status.ocpp_status,
                error_code=status.error_code,
                status_updated_at=status.at,
            )
            key = f"e:{status.evse_id}"
            self._publish(NetworkEvent("evse", key, status.location_id, msgspec.json.encode(change)))

    def session_update(self, session_id: uuid.UUID, update: bytes, final: bool) -> None:
        """A session update as every process receives it (never relayed again); it must not raise."""
        if not self._subscribers:
            return
        try:
            view = msgspec.json.decode(update, type=_SessionUpdate)
        except msgspec.DecodeError:
            logger.warning("ignored a session update the network view cannot read: %.200s", update)
            return
        progress = SessionProgress(
            session_id=session_id,
            location_id=view.location_id,
            evse_uid=view.evse_uid,
            status=view.status,
            auth_method=AUTH_OF_SOURCE.get(view.source, "app"),
            started_at=view.started_at,
            duration_seconds=view.elapsed_seconds,
            energy_kwh=view.energy_kwh,
            power_kw=view.power_kw,
            soc_percent=view.soc_percent,
            final=final,
        )
        self._deliver(NetworkEvent("session", f"s:{session_id}", view.location_id, msgspec.json.encode(progress)))

    def _publish(self, event: NetworkEvent) -> None:
        self._deliver(event)
        if self._relay.relays:
            envelope = _Envelope(self.origin, event.kind, event.key, event.location_id, msgspec.Raw(event.data))
            self._relay.send(msgspec.json.encode(envelope).decode())

    def _deliver(self, event: NetworkEvent) -> None:
        for queue, scope in self._subscribers.items():
            if scope.allows(event.location_id):
                queue.offer(event)

    def _on_notification(self, payload: str) -> None:
        try:
            envelope = msgspec.json.decode(payload, type=_Envelope)
        except msgspec.DecodeError:
            logger.warning("ignored a malformed network event: %.200s", payload)
            return
        if envelope.origin != self.origin:
            self._deliver(NetworkEvent(envelope.kind, envelope.key, envelope.location_id, bytes(envelope.data)))

    # -- reading ---------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, scope: SiteScope) -> AsyncIterator[LatestQueue]:
        """The events of the locations `scope` allows, from now on."""
        queue = LatestQueue()
        self._subscribers[queue] = scope
        try:
            yield queue
        finally:
            self._subscribers.pop(queue, None)
