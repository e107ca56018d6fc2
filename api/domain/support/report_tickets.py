"""Drivers' station problem reports become tickets, one per charger: while the ticket of a charger (or of a location,
for a report naming no EVSE) is active, a new report joins it as an internal note instead of opening another one,
and raises its priority when the new report is more severe.

Priority follows the report's category; a report whose text describes danger (the assistant's safety net, in every
language it speaks) is a safety ticket, always urgent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Evse, Location, StationReport, SupportTicket, User
from api.db.types import utc_now
from api.domain.stations.reports import REPORT_CATEGORIES
from api.domain.support import audit
from api.domain.support.audit import SYSTEM, Actor
from api.domain.support.grouping import active_ticket, claim, raise_priority, record_grouped
from api.domain.support.services import ticket_number
from api.domain.support.sla import SlaPolicy
from api.domain.support.workflow import SAFETY_CATEGORY, add_message, open_ticket

logger = logging.getLogger(__name__)

PRIORITIES: Final = {"equipment_problem": "high", "not_operational": "high", "wrong_price": "normal"}
DEFAULT_PRIORITY: Final = "low"

DangerCheck = Callable[[str], object | None]  # the text's danger signal, or None (chatbot.safety.SafetyNet.check)


def priority_of(category: str, dangerous: bool) -> str:
    return "urgent" if dangerous else PRIORITIES.get(category, DEFAULT_PRIORITY)


class _Place:
    def __init__(self, name: str, evse_uid: str | None, station_id: str | None, charger_id: str | None) -> None:
        self.name = name
        self.evse_uid = evse_uid
        self.station_id = station_id
        self.charger_id = charger_id


async def _place_of(session: AsyncSession, report: StationReport) -> _Place:
    name = (await session.execute(select(Location.name).where(Location.id == report.location_id))).scalar_one()
    if report.evse_id is None:
        return _Place(name or "", None, None, None)
    row = (
        await session.execute(
            select(Evse.uid, ChargingStation.id, ChargingStation.ocpp_id)
            .outerjoin(ChargingStation, ChargingStation.id == Evse.charging_station_id)
            .where(Evse.id == report.evse_id)
        )
    ).one()
    uid, station_id, ocpp_id = row
    return _Place(name or "", uid, None if station_id is None else str(station_id), ocpp_id)


async def _reporter(session: AsyncSession, report: StationReport) -> Actor:
    if report.user_id is None:
        return Actor(None, "driver", "a driver")
    user = await session.get(User, report.user_id)
    if user is None:
        return Actor(report.user_id, "driver", "a driver")
    name = user.name.strip()
    return Actor(user.id, "driver", f"{name} <{user.email}>" if name else user.email)


def _note(report: StationReport, reporter: Actor, place: _Place, dangerous: bool) -> str:
    title = REPORT_CATEGORIES.get(report.category, report.category)
    where = f"{place.name or 'the station'}" + (f", EVSE {place.evse_uid}" if place.evse_uid else "")
    lines = [f"Station report from {reporter.name} about {where}: {title} ({report.category})."]
    if dangerous:
        lines.append("The report describes danger.")
    if report.text:
        lines.append(f"The driver wrote: {report.text}")
    return "\n".join(lines)


class ReportTickets:
    """Implements the station map's report hook. `on_ticket_changed` is told the id of every ticket a report opened
    or joined, after the commit (the live queue feed connects to it)."""

    def __init__(self, policy: SlaPolicy, danger: DangerCheck | None = None) -> None:
        self.policy = policy
        self.danger = danger
        self.on_ticket_changed: Callable[[int], Awaitable[None]] | None = None

    def _dangerous(self, text: str) -> bool:
        return bool(text.strip()) and self.danger is not None and self.danger(text) is not None

    async def file(self, session: AsyncSession, report: StationReport) -> str:
        """Open or join the ticket of the report's charger, commit it with the (added) report; the ticket number."""
        await session.flush()
        now = utc_now()
        place = await _place_of(session, report)
        reporter = await _reporter(session, report)
        dangerous = self._dangerous(report.text)
        priority = priority_of(report.category, dangerous)
        key = f"report:{place.station_id or report.location_id}"
        await claim(session, key)
        ticket = await active_ticket(session, key)
        if ticket is None:
            ticket = await self._open(session, report, place, reporter, priority, dangerous, key)
        else:
            self._join(session, ticket, report, priority, dangerous)
        note = _note(report, reporter, place, dangerous)
        add_message(session, ticket, visibility="internal", actor=reporter, text=note, now=now)
        ticket_id = ticket.id
        await session.commit()
        if self.on_ticket_changed is not None:
            try:
                await self.on_ticket_changed(ticket_id)
            except Exception:
                logger.exception("announcing ticket %s failed", ticket_id)
        return ticket_number(ticket_id)

    async def _open(
        self,
        session: AsyncSession,
        report: StationReport,
        place: _Place,
        reporter: Actor,
        priority: str,
        dangerous: bool,
        key: str,
    ) -> SupportTicket:
        title = REPORT_CATEGORIES.get(report.category, report.category)
        where = place.charger_id or place.name or "a station"
        if place.charger_id and place.name:
            where = f"{place.charger_id} ({place.name})"
        summary = f"Station report: {title} at {where}"
        if report.text:
            summary = f"{summary}: {report.text}"
        language = "en"
        if reporter.id is not None:
            language = (
                await session.execute(select(User.locale).where(User.id == reporter.id))
            ).scalar_one_or_none() or "en"
        return await open_ticket(
            session,
            policy=self.policy,
            actor=reporter,
            source="station_report",
            priority=priority,
            category=SAFETY_CATEGORY if dangerous else f"station_report:{report.category}",
            summary=summary,
            now=report.created_at,
            language=language[:8],
            user_id=report.user_id,
            charger_id=place.charger_id,
            location_id=report.location_id,
            evse_id=report.evse_id,
            dedupe_key=key,
            tags=["station_report", f"station_report:{report.category}", *(["safety"] if dangerous else [])],
            diagnostics={"reports": [str(report.id)]},
        )

    def _join(
        self, session: AsyncSession, ticket: SupportTicket, report: StationReport, priority: str, dangerous: bool
    ) -> None:
        now = utc_now()
        if dangerous and ticket.category != SAFETY_CATEGORY:
            change = {"from": ticket.category, "to": SAFETY_CATEGORY}
            audit.record(session, ticket.id, SYSTEM, "category", change, at=now)
            ticket.category = SAFETY_CATEGORY
            ticket.tags = sorted({*ticket.tags, "safety"})
        raise_priority(session, ticket, priority, SYSTEM, policy=self.policy, now=now)
        tag = f"station_report:{report.category}"
        if tag not in ticket.tags:
            ticket.tags = sorted({*ticket.tags, tag})
        ticket.diagnostics = {**ticket.diagnostics, "reports": [*ticket.diagnostics.get("reports", []), str(report.id)]}
        record_grouped(
            session,
            ticket,
            SYSTEM,
            {"report": str(report.id), "category": report.category, "priority": priority},
            now=now,
        )
