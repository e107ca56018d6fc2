"""`chatbot.ports.ChatContext` on our database and the OCPP bridge's command registry.

Sessions are read from `charging_transactions` (the OCPP transaction rows, with `user_id` from the RFID card
or app token); charger state from `charging_stations` (connectivity, vendor, model), `evses` (OCPP status and
error code), `connectors` (power) and `charger_log` (recent notable messages). Remote actions go through
`bridge.central.send_command` (or another sender given, such as the terminal chat's relay client), which reaches
whichever process holds the charger's socket; every attempt is written to `chat_action_audit`, which is also what
the rate limits count. Chargers are described to the driver by what is on site: the location's name, the EVSE id
printed on the charger (`evses.emi3_evse_id`) and the connector type.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargerLogEntry,
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    ChatActionAudit,
    Connector,
    Evse,
    Location,
)
from api.domain.chargers.runtime import BridgeRuntime
from api.domain.stations.search import StationFilters, StationQuery
from api.domain.stations.services import StationService
from api.domain.support.services import SupportService
from chatbot.ports import (
    NEEDS_A_PERSON,
    ActionRequest,
    ActionResult,
    Alternative,
    ChargerStatus,
    SessionInfo,
    TicketDraft,
    TicketRef,
    TranscriptLine,
)
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors

RATE_WINDOW: Final = timedelta(minutes=10)
MAX_ACTIONS_PER_CHARGER: Final = 4  # per driver and charger within the window
MAX_ACTIONS_PER_DRIVER: Final = 8  # per driver over all chargers within the window
RECENT_SESSION: Final = timedelta(hours=2)
# a cable stuck after charging: the driver's session there may have ended this long ago and still count
RECENT_OWN_SESSION: Final = timedelta(minutes=15)
ALTERNATIVE_RADIUS_M: Final = 25_000
SUCCESS: Final = frozenset({"Accepted", "Unlocked"})
# the status of an action when this process has no way to send commands
BRIDGE_UNAVAILABLE: Final = "bridge-unavailable"
# OCPI connector standards as drivers know them from the plug
PLUG_NAMES: Final = {
    "IEC_62196_T2_COMBO": "CCS",
    "IEC_62196_T1_COMBO": "CCS1",
    "IEC_62196_T2": "Type 2",
    "IEC_62196_T1": "Type 1",
    "CHADEMO": "CHAdeMO",
    "GBT_DC": "GB/T",
    "GBT_AC": "GB/T",
    "TESLA_S": "Tesla",
    "TESLA_R": "Tesla",
    "DOMESTIC_F": "Schuko",
}

CommandSender = Callable[[str, ocpp_commands.CommandRequest], Awaitable[ocpp_commands.CommandResult]]


def plug_names(standards: Sequence[str]) -> str | None:
    """The connector types of an EVSE in drivers' words: "CCS", or "CCS / CHAdeMO"."""
    names = list(dict.fromkeys(PLUG_NAMES.get(standard, standard.replace("_", " ")) for standard in standards))
    return " / ".join(names) if names else None


class DatabaseChatContext:
    """The world of one driver in one conversation."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID | None,
        session_ref: str | None,
        bridge: BridgeRuntime | None,
        stations: StationService,
        support: SupportService,
        send_command: CommandSender | None = None,
        unavailable: str = BRIDGE_UNAVAILABLE,
    ) -> None:
        """Commands go through `send_command`, else the bridge's central system; with neither, actions end with the
        `unavailable` status."""
        self._session_factory = session_factory
        self.user_id = user_id
        self.conversation_id = conversation_id
        self.session_ref = session_ref
        self.bridge = bridge
        self.stations = stations
        self.support = support
        self.send_command = send_command or (bridge.central.send_command if bridge is not None else None)
        self.unavailable = unavailable
        self.added_to_ticket = False  # whether the driver's words went onto their ticket this turn

    # ----- reading ---------------------------------------------------------------------------------------------

    async def _transaction(self, session: AsyncSession) -> tuple[ChargingTransaction, str] | None:
        query = (
            select(ChargingTransaction, ChargingStation.ocpp_id)
            .join(ChargingStation, ChargingStation.id == ChargingTransaction.charging_station_id)
            .where(ChargingTransaction.user_id == self.user_id, ChargingTransaction.status.in_(("active", "ended")))
        )
        if self.session_ref:
            ref = self.session_ref
            conditions = [ChargingTransaction.ocpp_transaction_id == ref]
            if (as_uuid := _uuid(ref)) is not None:
                conditions.append(ChargingTransaction.id == as_uuid)
                # the id the app shows is the session's; its transaction is the one meant
                conditions.append(
                    ChargingTransaction.id
                    == select(ChargingSession.transaction_id).where(ChargingSession.id == as_uuid).scalar_subquery()
                )
            query = query.where(or_(*conditions))
        query = query.order_by(
            (ChargingTransaction.status == "active").desc(), ChargingTransaction.started_at.desc()
        ).limit(1)
        row = (await session.execute(query)).one_or_none()
        return (row[0], row[1]) if row is not None else None

    async def current_session(self) -> SessionInfo | None:
        async with self._session_factory() as session:
            found = await self._transaction(session)
            if found is None:
                return None
            tx, ocpp_id = found
            station_name, evse_id, plugs = await _on_site(session, tx.charging_station_id, tx.connector_id)
        return SessionInfo(
            session_id=str(tx.id),
            charger_id=ocpp_id,
            connector_id=tx.connector_id,
            active=tx.status == "active",
            started_at=tx.started_at,
            ended_at=tx.ended_at,
            energy_kwh=round((tx.energy_wh or 0.0) / 1000, 3),
            power_kw=round(tx.power_w / 1000, 2) if tx.power_w is not None else None,
            soc_percent=tx.soc_percent,
            charging_state=tx.charging_state,
            stop_reason=tx.stop_reason,
            station_name=station_name,
            evse_id=evse_id,
            connector_type=plugs,
        )

    async def charger_status(self, charger_id: str, connector_id: int | None) -> ChargerStatus | None:
        async with self._session_factory() as session:
            station = (
                await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == charger_id))
            ).scalar_one_or_none()
            if station is None:
                return None
            evse_query = select(Evse).where(Evse.charging_station_id == station.id)
            if connector_id is not None:
                evse_query = evse_query.where(Evse.ocpp_evse_id == connector_id)
            evse = (await session.execute(evse_query.order_by(Evse.ocpp_evse_id).limit(1))).scalar_one_or_none()
            connectors = (
                (await session.execute(select(Connector).where(Connector.evse_id == evse.id))).scalars().all()
                if evse is not None
                else []
            )
            others = await session.scalar(
                select(func.count())
                .select_from(ChargingTransaction)
                .where(
                    ChargingTransaction.charging_station_id == station.id,
                    ChargingTransaction.status == "active",
                    or_(ChargingTransaction.user_id.is_(None), ChargingTransaction.user_id != self.user_id),
                )
            )
            station_name = await session.scalar(select(Location.name).where(Location.id == station.location_id))
            events = (
                await session.execute(
                    select(ChargerLogEntry.kind, ChargerLogEntry.at)
                    .where(ChargerLogEntry.charging_station_id == station.id)
                    .order_by(ChargerLogEntry.at.desc())
                    .limit(5)
                )
            ).all()
        powers = [c.max_electric_power for c in connectors if c.max_electric_power]
        return ChargerStatus(
            charger_id=station.ocpp_id,
            connector_id=evse.ocpp_evse_id if evse is not None else connector_id,
            connected=station.connected,
            last_seen=station.last_seen,
            status=evse.ocpp_status if evse is not None else None,
            error_code=evse.error_code if evse is not None else None,
            vendor=station.vendor,
            model=station.model,
            max_power_kw=max(powers) / 1000 if powers else None,
            power_type="DC" if any(c.power_type == "DC" for c in connectors) else ("AC" if connectors else None),
            others_charging=int(others or 0),
            recent_events=tuple(f"{at.isoformat(timespec='seconds')} {kind}" for kind, at in events),
            station_name=station_name,
            evse_id=evse.emi3_evse_id if evse is not None else None,
            connector_type=plug_names([c.standard for c in connectors]),
        )

    async def find_charger(self, reference: str) -> ChargerStatus | None:
        wanted = reference.strip().strip(".!?\"'").upper()
        if not wanted or len(wanted) > 48:
            return None
        async with self._session_factory() as session:
            ocpp_id = await session.scalar(
                select(ChargingStation.ocpp_id).where(func.upper(ChargingStation.ocpp_id) == wanted)
            )
            connector = None
            if ocpp_id is None:
                found = (
                    await session.execute(
                        select(ChargingStation.ocpp_id, Evse.ocpp_evse_id)
                        .join(Evse, Evse.charging_station_id == ChargingStation.id)
                        .where(func.upper(Evse.emi3_evse_id) == wanted)
                    )
                ).first()
                if found is None:
                    return None
                ocpp_id, connector = found
        return await self.charger_status(ocpp_id, connector)

    async def payment_state(self) -> str:
        """The payment of the driver's latest session: none, held, declined (with the reason), captured,
        released, billed_outside, debt, refunded or disputed; "unknown" without a session."""
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(ChargingSession.payment_status, ChargingSession.failure_reason, ChargingSession.debt_minor)
                    .where(ChargingSession.user_id == self.user_id)
                    .order_by(ChargingSession.created_at.desc())
                    .limit(1)
                )
            ).one_or_none()
        if row is None:
            return "unknown"
        status, reason, debt = row
        if status == "declined" and reason:
            return f"declined: {reason}"
        if status == "debt":
            return f"debt: {debt} in minor units outstanding"
        return str(status)

    # ----- acting ----------------------------------------------------------------------------------------------

    async def _refusal(self, session: AsyncSession, request: ActionRequest) -> str | None:
        """Why this driver may not run this action now, or None."""
        since = datetime.now(UTC) - RATE_WINDOW
        recent = (
            select(func.count())
            .select_from(ChatActionAudit)
            .where(ChatActionAudit.user_id == self.user_id, ChatActionAudit.at >= since, ChatActionAudit.sent.is_(True))
        )
        if (await session.scalar(recent) or 0) >= MAX_ACTIONS_PER_DRIVER:
            return "rate-limited"
        if (
            await session.scalar(recent.where(ChatActionAudit.charger_id == request.charger_id)) or 0
        ) >= MAX_ACTIONS_PER_CHARGER:
            return "rate-limited"
        station_id = await session.scalar(
            select(ChargingStation.id).where(ChargingStation.ocpp_id == request.charger_id)
        )
        if station_id is None:
            return "unknown-charger"
        active = ChargingTransaction.status == "active"
        others = or_(ChargingTransaction.user_id.is_(None), ChargingTransaction.user_id != self.user_id)
        at_station = ChargingTransaction.charging_station_id == station_id
        if not await self._own_session_at(session, station_id, request):
            return NEEDS_A_PERSON
        if request.kind == "remote-stop":
            own = await session.scalar(
                select(func.count())
                .select_from(ChargingTransaction)
                .where(
                    at_station,
                    active,
                    ChargingTransaction.user_id == self.user_id,
                    ChargingTransaction.id == _uuid(request.session_id),
                )
            )
            return None if own else "not-your-session"
        if request.kind == "unlock":
            busy = await session.scalar(
                select(func.count())
                .select_from(ChargingTransaction)
                .where(at_station, active, others, ChargingTransaction.connector_id == (request.connector_id or 1))
            )
            return "another-drivers-session" if busy else None
        if request.kind == "reset":
            busy = await session.scalar(
                select(func.count()).select_from(ChargingTransaction).where(and_(at_station, active, others))
            )
            return "another-driver-charging" if busy else None
        return None

    async def _own_session_at(self, session: AsyncSession, station_id: uuid.UUID, request: ActionRequest) -> bool:
        """Whether the driver charges at this charger (at this connector, for an unlock), or did until a few
        minutes ago. Only a status refresh, which changes nothing at the charger, needs no session there."""
        if request.kind == "trigger-status":
            return True
        recent = datetime.now(UTC) - RECENT_OWN_SESSION
        query = (
            select(func.count())
            .select_from(ChargingTransaction)
            .where(
                ChargingTransaction.charging_station_id == station_id,
                ChargingTransaction.user_id == self.user_id,
                or_(
                    ChargingTransaction.status == "active",
                    and_(ChargingTransaction.ended_at.is_not(None), ChargingTransaction.ended_at >= recent),
                ),
            )
        )
        if request.kind == "unlock":
            query = query.where(ChargingTransaction.connector_id == (request.connector_id or 1))
        return bool(await session.scalar(query))

    async def _command(self, session: AsyncSession, request: ActionRequest) -> ocpp_commands.CommandRequest:
        if request.kind == "remote-stop":
            ocpp_id = await session.scalar(
                select(ChargingTransaction.ocpp_transaction_id).where(
                    ChargingTransaction.id == _uuid(request.session_id)
                )
            )
            return ocpp_commands.RemoteStop(transaction_id=str(ocpp_id))
        if request.kind == "unlock":
            return ocpp_commands.Unlock(connector_id=request.connector_id or 1)
        if request.kind == "reset":
            return ocpp_commands.Reset(kind="Soft")
        return ocpp_commands.TriggerMessage(message="StatusNotification", connector_id=request.connector_id)

    async def run_action(self, request: ActionRequest) -> ActionResult:
        async with self._session_factory() as session:
            refusal = await self._refusal(session, request)
            if refusal is None and self.send_command is None:
                refusal = self.unavailable
            command = await self._command(session, request) if refusal is None else None
        status, detail = refusal or "", ""
        if command is not None and self.send_command is not None:
            status, detail = await _send(self.send_command, request.charger_id, command)
        result = ActionResult(
            kind=request.kind,
            charger_id=request.charger_id,
            connector_id=request.connector_id,
            ok=status in SUCCESS,
            status=status,
            detail=detail,
        )
        async with self._session_factory() as session:
            session.add(
                ChatActionAudit(
                    conversation_id=self.conversation_id,
                    user_id=self.user_id,
                    charger_id=request.charger_id,
                    connector_id=request.connector_id,
                    action=request.kind,
                    arguments=msgspec.to_builtins(command) if command is not None else {},
                    sent=command is not None,
                    ok=result.ok,
                    status=status[:40],
                    detail=detail[:500],
                )
            )
            await session.commit()
        return result

    async def open_ticket(self, draft: TicketDraft) -> TicketRef:
        charger = draft.diagnostics.get("charger") or {}
        async with self._session_factory() as session:
            return await self.support.open(
                session,
                draft,
                user_id=self.user_id,
                conversation_id=self.conversation_id,
                charger_id=charger.get("charger_id"),
                session_id=await _ticket_session(session, draft.diagnostics, charger.get("charger_id")),
            )

    async def add_to_ticket(self, ticket_id: str, line: TranscriptLine) -> TicketRef | None:
        async with self._session_factory() as session:
            added = await self.support.add_to_ticket(
                session, ticket_id, line, user_id=self.user_id, conversation_id=self.conversation_id
            )
        self.added_to_ticket = self.added_to_ticket or added is not None
        return added

    # ----- the map ---------------------------------------------------------------------------------------------

    async def _location_id(self, charger_id: str | None) -> uuid.UUID | None:
        if charger_id is None:
            current = await self.current_session()
            charger_id = current.charger_id if current is not None else None
        if charger_id is None:
            return None
        async with self._session_factory() as session:
            location_id: uuid.UUID | None = await session.scalar(
                select(ChargingStation.location_id).where(ChargingStation.ocpp_id == charger_id)
            )
            return location_id

    async def nearest_alternative(
        self, charger_id: str | None, min_power_kw: float | None = None
    ) -> Alternative | None:
        location_id = await self._location_id(charger_id)
        here = self.stations.catalog.locations.get(location_id) if location_id else None
        if here is None:
            return None
        query = StationQuery(
            centre=(here.latitude, here.longitude),
            radius_m=ALTERNATIVE_RADIUS_M,
            box=None,
            filters=StationFilters(
                available_now=True, min_power_w=int(min_power_kw * 1000) if min_power_kw is not None else None
            ),
            limit=3,
        )
        for hit in self.stations.search(query, "en").items:
            if hit.id != here.id:
                return Alternative(
                    station_id=str(hit.id),
                    name=hit.name or hit.address,
                    address=f"{hit.address}, {hit.city}",
                    distance_m=hit.distance_meters or 0.0,
                    available_evses=hit.available_evse_count,
                    max_power_kw=hit.max_power_kw,
                )
        return None

    async def price_text(self, charger_id: str | None, language: str) -> str | None:
        if charger_id is None:
            return None
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(ChargingStation.location_id, Evse.id)
                    .join(Evse, Evse.charging_station_id == ChargingStation.id)
                    .where(ChargingStation.ocpp_id == charger_id)
                    .order_by(Evse.ocpp_evse_id)
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        location = self.stations.catalog.locations.get(row[0])
        if location is None:
            return None
        now = datetime.now(UTC)
        for evse in location.evses:
            if evse.id == row[1]:
                for connector in evse.connectors:
                    price = self.stations.pricing.price(location, connector, now, language)
                    if price is not None:
                        return price.text
        return None


async def _on_site(
    session: AsyncSession, station_id: uuid.UUID, connector_id: int
) -> tuple[str | None, str | None, str | None]:
    """What the driver sees at a charger's connector: the location's name, the printed EVSE id, the plug types."""
    row = (
        await session.execute(
            select(Location.name, Evse.id, Evse.emi3_evse_id)
            .join(ChargingStation, ChargingStation.location_id == Location.id)
            .outerjoin(Evse, and_(Evse.charging_station_id == ChargingStation.id, Evse.ocpp_evse_id == connector_id))
            .where(ChargingStation.id == station_id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None, None, None
    name, evse_row_id, evse_id = row
    standards = (
        (await session.execute(select(Connector.standard).where(Connector.evse_id == evse_row_id))).scalars().all()
        if evse_row_id is not None
        else []
    )
    return name, evse_id, plug_names(standards)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def _send(send: CommandSender, charger_id: str, command: ocpp_commands.CommandRequest) -> tuple[str, str]:
    """The charger's answer, or why there was none, as (status, detail)."""
    try:
        result = await send(charger_id, command)
    except (ocpp_errors.ChargerNotConnected, ocpp_errors.ChargerDisconnected) as exc:
        return "not-connected", str(exc)
    except ocpp_errors.CommandTimeout as exc:
        return "timeout", str(exc)
    except (ocpp_errors.CommandRejected, ocpp_errors.InvalidCommandResult, ocpp_errors.InvalidCommand) as exc:
        return "error", str(exc)
    except ocpp_errors.CommandError as exc:  # the relay could not carry it (the holder gone, PostgreSQL lost)
        return "not-delivered", str(exc)
    status = getattr(result, "status", None) or "Accepted"
    return str(status), ""


async def _ticket_session(
    session: AsyncSession, diagnostics: dict[str, Any], charger_id: str | None
) -> uuid.UUID | None:
    """The driver's charging session the ticket is about: the one the assistant looked at, on the charger in
    question (an agent reads its meter curve and refunds it). The assistant knows its OCPP transaction."""
    found = diagnostics.get("session") or {}
    transaction_id = _uuid(str(found.get("session_id") or ""))
    if transaction_id is None or (charger_id is not None and found.get("charger_id") != charger_id):
        return None
    query = select(ChargingSession.id).where(ChargingSession.transaction_id == transaction_id).limit(1)
    return (await session.execute(query)).scalar_one_or_none()
