"""What we push to partners (mod_locations, mod_sessions, mod_cdrs receiver interfaces), through the outbox, in the
transaction of the change:

- EVSE status changes from StatusNotification: `PATCH {locations}/{cc}/{party}/{location_id}/{evse_uid}` with
  `{status, last_updated}` to every partner with a locations RECEIVER endpoint; a newer status replaces an unsent
  one (only the latest needs to arrive);
- a partner's own sessions: the whole Session (`PUT {sessions}/{cc}/{party}/{session_id}`) when it starts, ends or
  fails, and meter progress (`PATCH` with kwh, total_cost, status, last_updated) at most once per
  `progress_seconds` while it runs (a newer progress replaces an unsent one);
- a partner's CDR when its session is billed: `POST {cdrs}` with the CDR, which is also stored for the CDR list.

The partners and their endpoints come from `PushTargets` (in memory), so the status hook costs nothing when no
partner listens, and one query per status flush (not per message) when some do.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, Connector, Evse, Location, OcpiCdr
from api.db.types import utc_now
from api.domain.ocpi.charging_periods import metered_session, ocpi_charging_periods
from api.domain.ocpi.costs import rounded_costs
from api.domain.ocpi.numbers import ocpi_number
from api.domain.ocpi.outbox import OcpiPush, enqueue_ocpi, enqueue_ocpi_many
from api.domain.ocpi.push_targets import PushTargets
from api.domain.ocpi.schemas import format_datetime
from api.domain.ocpi.session_objects import (
    SESSION_STATUS,
    Progress,
    SessionPlace,
    cdr_object,
    live_cost_document,
    session_object,
)
from api.domain.sessions.metering import SessionMeter
from api.settings import Settings

logger = logging.getLogger(__name__)

PROGRESS_SECONDS: Final = 60.0


async def place_of(session: AsyncSession, record: ChargingSession) -> SessionPlace | None:
    location = await session.get(Location, record.location_id)
    evse = await session.get(Evse, record.evse_id)
    if location is None or evse is None:
        return None
    connector = (
        (await session.execute(select(Connector).where(Connector.evse_id == evse.id).order_by(Connector.connector_id)))
        .scalars()
        .first()
    )
    return SessionPlace(location, evse, connector)


async def places_of(session: AsyncSession, records: list[ChargingSession]) -> dict[uuid.UUID, SessionPlace]:
    """`place_of` for a page of sessions in three queries (not three per session)."""
    location_ids = {record.location_id for record in records}
    evse_ids = {record.evse_id for record in records}
    if not records:
        return {}
    locations = {
        row.id: row for row in (await session.execute(select(Location).where(Location.id.in_(location_ids)))).scalars()
    }
    evses = {row.id: row for row in (await session.execute(select(Evse).where(Evse.id.in_(evse_ids)))).scalars()}
    connectors: dict[uuid.UUID, Connector] = {}
    query = select(Connector).where(Connector.evse_id.in_(evse_ids)).order_by(Connector.connector_id)
    for connector in (await session.execute(query)).scalars():
        connectors.setdefault(connector.evse_id, connector)
    found = {}
    for record in records:
        location, evse = locations.get(record.location_id), evses.get(record.evse_id)
        if location is not None and evse is not None:
            found[record.id] = SessionPlace(location, evse, connectors.get(evse.id))
    return found


async def progress_of(session: AsyncSession, record: ChargingSession) -> Progress | None:
    """Energy, cost and charging periods of a session from its stored readings (None before its start)."""
    metered = await metered_session(session, record)
    if metered is None:
        return None
    tariff_id = str(record.tariff["id"]) if record.tariff and record.tariff.get("id") else None
    periods = ocpi_charging_periods(metered.meter.charging_periods(), metered.reading_times, tariff_id)
    kwh = Decimal(repr(round(metered.meter.energy_wh / 1000, 4)))
    return Progress(kwh, metered.meter.totals(), periods)


class OcpiPushes:
    """Turns our changes into outbox deliveries to the partners that asked for them."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        targets: PushTargets,
        *,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        self.settings = settings
        self._session_factory = session_factory
        self.targets = targets
        self.progress_seconds = progress_seconds
        self._last_progress: dict[uuid.UUID, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def country_code(self) -> str:
        return self.settings.ocpi_country_code

    @property
    def party_id(self) -> str:
        return self.settings.ocpi_party_id

    # ----- EVSE status ------------------------------------------------------------------------------------

    async def evse_statuses_changed(
        self, session: AsyncSession, changes: list[tuple[uuid.UUID, str]], now: datetime
    ) -> None:
        """EVSEs whose OCPI status changed (id, new status), stored in `session`'s transaction at `now` (their
        new last_updated): one PATCH per partner and EVSE, of our own published-or-not locations. A failure here
        is logged and never stops the statuses from being stored."""
        try:
            await self._evse_statuses_changed(session, changes, now)
        except Exception:
            logger.exception("enqueueing EVSE status pushes failed; the statuses are stored without them")

    async def _evse_statuses_changed(
        self, session: AsyncSession, changes: list[tuple[uuid.UUID, str]], now: datetime
    ) -> None:
        if not changes:
            return
        receivers = await self.targets.receivers(session, "locations")
        if not receivers:
            return
        status_of = dict(changes)
        rows = (
            await session.execute(
                select(Evse.id, Evse.uid, Location.ocpi_id)
                .join(Location, Location.id == Evse.location_id)
                .where(
                    Evse.id.in_(list(status_of)),
                    Location.country_code == self.country_code,
                    Location.party_id == self.party_id,
                )
            )
        ).all()
        stamp = format_datetime(now)
        pushes = [
            OcpiPush(
                partner_id=target.partner_id,
                kind="ocpi.evse_status",
                method="PATCH",
                url=f"{url}/{self.country_code}/{self.party_id}/{location_id}/{uid}",
                body={"status": status_of[evse_id], "last_updated": stamp},
                object_key=f"evse:{location_id}/{uid}",
                coalesce=True,
            )
            for evse_id, uid, location_id in rows
            for target, url in receivers
        ]
        await enqueue_ocpi_many(session, pushes)

    # ----- sessions and CDRs ------------------------------------------------------------------------------

    async def _sessions_url(self, session: AsyncSession, record: ChargingSession, module: str) -> str | None:
        if record.ocpi_partner_id is None:
            return None
        target = (await self.targets.current(session)).get(record.ocpi_partner_id)
        return target.receiver(module) if target is not None else None

    async def session_changed(self, session: AsyncSession, record: ChargingSession) -> None:
        """A partner's session started, ended or failed (or was created): PUT the whole Session, in `session`'s
        transaction. Nothing for our own drivers' sessions. A failure is logged; the session's change stands."""
        try:
            await self._session_changed(session, record)
        except Exception:
            logger.exception("enqueueing the push of OCPI session %s failed", record.id)

    async def _session_changed(self, session: AsyncSession, record: ChargingSession) -> None:
        url = await self._sessions_url(session, record, "sessions")
        if url is None or record.ocpi_partner_id is None:
            return
        place = await place_of(session, record)
        if place is None:
            return
        progress = await progress_of(session, record)
        body = session_object(record, place, progress, country_code=self.country_code, party_id=self.party_id)
        await enqueue_ocpi(
            session,
            partner_id=record.ocpi_partner_id,
            kind="ocpi.session",
            method="PUT",
            url=f"{url}/{self.country_code}/{self.party_id}/{record.id}",
            body=body,
            object_key=f"session:{record.id}",
        )

    async def session_billed(self, session: AsyncSession, record: ChargingSession) -> None:
        """A partner's session was billed: the final Session (PUT), and its CDR stored and POSTed. A failure is
        logged; the bill stands."""
        try:
            await self._session_billed(session, record)
        except Exception:
            logger.exception("issuing the CDR of OCPI session %s failed", record.id)

    async def _session_billed(self, session: AsyncSession, record: ChargingSession) -> None:
        if record.ocpi_partner_id is None or record.cdr is None or record.billed_at is None:
            return
        place = await place_of(session, record)
        if place is None:
            logger.warning("billed OCPI session %s has no location or EVSE any more: no CDR", record.id)
            return
        progress = await progress_of(session, record)
        periods = progress.periods if progress is not None else []
        document = cdr_object(
            record,
            place,
            periods,
            country_code=self.country_code,
            party_id=self.party_id,
            last_updated=record.billed_at,
        )
        existing = await session.get(OcpiCdr, str(record.id))
        if existing is None:
            session.add(
                OcpiCdr(
                    id=str(record.id),
                    session_id=record.id,
                    ocpi_partner_id=record.ocpi_partner_id,
                    document=document,
                    last_updated=record.billed_at,
                )
            )
        await self._session_changed(session, record)
        cdrs = await self._sessions_url(session, record, "cdrs")
        if cdrs is not None and existing is None:
            await enqueue_ocpi(
                session,
                partner_id=record.ocpi_partner_id,
                kind="ocpi.cdr",
                method="POST",
                url=cdrs,
                body=document,
                object_key=f"cdr:{record.id}",
            )
        self._last_progress.pop(record.id, None)

    def meter_progress(self, row: dict[str, Any], meter: SessionMeter) -> None:
        """A running partner session's meter moved (the OCPP hot path): at most one PATCH per
        `progress_seconds` per session, enqueued in the background."""
        partner_id = row.get("ocpi_partner_id")
        if partner_id is None:
            return
        session_id: uuid.UUID = row["id"]
        moment = time.monotonic()
        last = self._last_progress.get(session_id)
        if last is not None and moment - last < self.progress_seconds:
            return
        self._last_progress[session_id] = moment
        totals = meter.totals()
        body: dict[str, Any] = {"kwh": ocpi_number(Decimal(repr(round(meter.energy_wh / 1000, 4))))}
        if totals is not None:
            body["total_cost"] = rounded_costs(live_cost_document(totals), str(row["currency"]))["total_cost"]
        body["status"] = SESSION_STATUS.get(str(row["status"]), "ACTIVE")
        body["last_updated"] = format_datetime(utc_now())
        task = asyncio.create_task(self._progress(partner_id, session_id, body), name=f"ocpi progress {session_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _progress(self, partner_id: uuid.UUID, session_id: uuid.UUID, body: dict[str, Any]) -> None:
        try:
            async with self._session_factory() as session:
                target = (await self.targets.current(session)).get(partner_id)
                url = target.receiver("sessions") if target is not None else None
                if url is None:
                    return
                await enqueue_ocpi(
                    session,
                    partner_id=partner_id,
                    kind="ocpi.session_progress",
                    method="PATCH",
                    url=f"{url}/{self.country_code}/{self.party_id}/{session_id}",
                    body=body,
                    object_key=f"session:{session_id}",
                    coalesce=True,
                )
                await session.commit()
        except Exception:
            logger.exception("enqueueing the progress of OCPI session %s failed", session_id)

    async def drain(self) -> None:
        """Wait for progress pushes being enqueued (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
