"""Smart charging for the rest of the application: set a charging profile on a charger's EVSE, clear profiles, read
the composite schedule, ask a 2.0.1 charger for its profiles; and what chargers report about smart charging,
stored (their profiles, external limits, what EVs ask for).

Every profile is checked against the spec's rules and against what is stored for the charger (stack levels,
the running transaction, the rate units the charger takes) before it is sent, so a caller learns of each broken
rule by field name instead of from a charger's bare "Rejected".
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargerLogEntry,
    ChargingProfileRecord,
    ChargingStation,
    ChargingTransaction,
    EVChargingNeedsRecord,
    Evse,
)
from api.db.types import utc_now
from api.errors import FieldError, InvalidInput, NotFound
from api.schema import FrozenAppStruct
from ocpp_bridge import commands, errors, smart_charging
from ocpp_bridge.events import (
    ChargingLimitCleared,
    ChargingLimitNotified,
    ChargingProfilesReported,
    EVChargingNeedsNotified,
    EVChargingScheduleNotified,
)
from ocpp_bridge.smart_charging import ChargingProfile, ChargingProfilePurpose, ChargingRateUnit, InstalledProfile

logger = logging.getLogger(__name__)

SendCommand = Callable[[str, commands.CommandRequest], Awaitable[commands.CommandResult]]
SmartChargingEvent = (
    ChargingProfilesReported
    | ChargingLimitNotified
    | ChargingLimitCleared
    | EVChargingNeedsNotified
    | EVChargingScheduleNotified
)
# Where each version keeps the rate units a charger takes, and how it spells them.
_RATE_UNIT_KEYS = {"1.6": "ChargingScheduleAllowedChargingRateUnit", "2.0.1": "SmartChargingCtrlr.RateUnit"}
_RATE_UNIT_WORDS = {"current": "A", "power": "W", "a": "A", "w": "W"}
_LIVE = ("Pending", "Accepted")


class StoredChargingProfile(FrozenAppStruct, frozen=True, kw_only=True):
    """A charging profile as stored: one we set (source ``csms``) or one the charger reported (``charger``)."""

    evse_id: int
    source: str
    status: str
    profile: ChargingProfile
    reason: str | None = None
    request_id: int | None = None
    charging_limit_source: str | None = None
    created_at: datetime
    updated_at: datetime


class ProfileReportRequested(FrozenAppStruct, frozen=True, kw_only=True):
    """The charger's answer to GetChargingProfiles; its ReportChargingProfiles follow with ``request_id``."""

    request_id: int
    status: str
    reason: str | None = None


def _view(row: ChargingProfileRecord) -> StoredChargingProfile:
    return StoredChargingProfile(
        evse_id=row.evse_id,
        source=row.source,
        status=row.status,
        profile=msgspec.convert(row.profile, ChargingProfile),
        reason=row.reason,
        request_id=row.request_id,
        charging_limit_source=row.charging_limit_source,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _row_values(station_id: uuid.UUID, evse_id: int, profile: ChargingProfile) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "charging_station_id": station_id,
        "evse_id": evse_id,
        "profile_id": profile.id,
        "stack_level": profile.stack_level,
        "purpose": profile.charging_profile_purpose,
        "kind": profile.charging_profile_kind,
        "transaction_id": profile.transaction_id,
        "valid_from": profile.valid_from,
        "valid_to": profile.valid_to,
        "profile": msgspec.to_builtins(profile),
        "created_at": utc_now(),
        "updated_at": utc_now(),
    }


async def _installed(
    session: AsyncSession, station_id: uuid.UUID, statuses: tuple[str, ...]
) -> list[tuple[uuid.UUID, InstalledProfile]]:
    """The profiles we set on the station that are in one of ``statuses``, by row id."""
    rows = (
        await session.execute(
            select(ChargingProfileRecord).where(
                ChargingProfileRecord.charging_station_id == station_id,
                ChargingProfileRecord.source == "csms",
                ChargingProfileRecord.status.in_(statuses),
            )
        )
    ).scalars()
    return [
        (
            row.id,
            InstalledProfile(
                evse_id=row.evse_id, profile=msgspec.convert(row.profile, ChargingProfile), installed_at=row.created_at
            ),
        )
        for row in rows
    ]


async def _retire_ended_tx_profiles(session: AsyncSession, station_id: uuid.UUID) -> None:
    """A TxProfile lives as long as its transaction: once that has ended, the charger has dropped it (Ended)."""
    ended = select(ChargingTransaction.ocpp_transaction_id).where(
        ChargingTransaction.charging_station_id == station_id, ChargingTransaction.ended_at.is_not(None)
    )
    await session.execute(
        update(ChargingProfileRecord)
        .where(
            ChargingProfileRecord.charging_station_id == station_id,
            ChargingProfileRecord.source == "csms",
            ChargingProfileRecord.purpose == "TxProfile",
            ChargingProfileRecord.status.in_(_LIVE),
            ChargingProfileRecord.transaction_id.in_(ended),
        )
        .values(status="Ended", updated_at=utc_now())
    )


def rate_units(value: str | None) -> frozenset[str] | None:
    """``Current,Power`` (1.6) or ``A,W`` (2.0.1) as units; None when the charger did not say."""
    if not value:
        return None
    units = {_RATE_UNIT_WORDS.get(word.strip().lower()) for word in value.split(",")}
    return frozenset(u for u in units if u is not None) or None


class ChargingProfiles:
    """The smart-charging service: what load management and the admin API call."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], send_command: SendCommand) -> None:
        self._session_factory = session_factory
        self._send = send_command

    async def _station(self, session: AsyncSession, charger_id: str) -> ChargingStation:
        station = (
            await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == charger_id))
        ).scalar_one_or_none()
        if station is None:
            raise NotFound(f"No charger {charger_id!r}.")
        return station

    async def list_profiles(self, charger_id: str, *, include_cleared: bool = False) -> list[StoredChargingProfile]:
        """Profiles set on the charger (newest state of each) and the ones it reported last."""
        async with self._session_factory() as session:
            station = await self._station(session, charger_id)
            await _retire_ended_tx_profiles(session, station.id)
            await session.commit()
            query = select(ChargingProfileRecord).where(ChargingProfileRecord.charging_station_id == station.id)
            if not include_cleared:
                query = query.where(ChargingProfileRecord.status.in_([*_LIVE, "Reported"]))
            rows = (
                await session.execute(
                    query.order_by(
                        ChargingProfileRecord.evse_id,
                        ChargingProfileRecord.profile_id,
                        ChargingProfileRecord.created_at,
                    )
                )
            ).scalars()
            return [_view(row) for row in rows]

    async def allowed_units(self, charger_id: str, ocpp_version: str) -> frozenset[str] | None:
        """The charging rate units the charger takes, from its configuration; None when it does not tell."""
        key = _RATE_UNIT_KEYS.get(ocpp_version)
        if key is None:
            return None
        try:
            result = await self._send(charger_id, commands.GetConfiguration(keys=(key,)))
        except errors.CommandError:
            return None
        if not isinstance(result, commands.ConfigurationResult):
            return None
        return next((rate_units(v.value) for v in result.values if v.key == key), None)

    async def _problems(
        self, session: AsyncSession, station: ChargingStation, evse_id: int, profile: ChargingProfile
    ) -> list[FieldError]:
        version = station.ocpp_version or "1.6"
        found = [
            FieldError(p.field, p.message)
            for p in smart_charging.profile_problems(profile, evse_id=evse_id, ocpp_version=version)
        ]
        if evse_id > 0:
            evses = set(
                (
                    await session.execute(select(Evse.ocpp_evse_id).where(Evse.charging_station_id == station.id))
                ).scalars()
            )
            if evse_id not in evses:
                found.append(FieldError("evseId", f"the charger has no EVSE {evse_id}"))
        if profile.charging_profile_purpose == "TxProfile" and profile.transaction_id is not None:
            running = (
                await session.execute(
                    select(ChargingTransaction.id).where(
                        ChargingTransaction.charging_station_id == station.id,
                        ChargingTransaction.ocpp_transaction_id == profile.transaction_id,
                        ChargingTransaction.connector_id == evse_id,
                        ChargingTransaction.ended_at.is_(None),
                    )
                )
            ).first()
            if running is None:
                found.append(
                    FieldError("chargingProfile.transactionId", f"no active transaction with this id on EVSE {evse_id}")
                )
        installed = [item for _, item in await _installed(session, station.id, ("Accepted",))]
        clash = smart_charging.conflicting_profile(profile, evse_id, installed, version)
        if clash is not None:
            found.append(
                FieldError(
                    "chargingProfile.stackLevel",
                    f"profile {clash.profile.id} already has stack level {profile.stack_level} for "
                    f"{clash.profile.charging_profile_purpose} on EVSE {evse_id} in an overlapping validity period",
                )
            )
        return found

    async def set_profile(
        self, charger_id: str, evse_id: int, profile: ChargingProfile, *, check_rate_unit: bool = True
    ) -> StoredChargingProfile:
        """Check ``profile``, send it (SetChargingProfile) and store it with the charger's answer.

        Raises InvalidInput naming each broken rule, NotFound for an unknown charger; the bridge's command errors
        pass through: a profile that never reached the charger is not kept, one left without an answer (no answer
        in time, a lost connection, a CallError) stays Pending."""
        async with self._session_factory() as session:
            station = await self._station(session, charger_id)
            await _retire_ended_tx_profiles(session, station.id)
            await session.commit()
            problems = await self._problems(session, station, evse_id, profile)
            station_id, version = station.id, station.ocpp_version or "1.6"
        units = await self.allowed_units(charger_id, version) if check_rate_unit and not problems else None
        if units is not None:
            problems.extend(
                FieldError(p.field, p.message)
                for p in smart_charging.profile_problems(
                    profile, evse_id=evse_id, ocpp_version=version, allowed_units=units
                )
                if p.field.endswith("chargingRateUnit")
            )
        if problems:
            raise InvalidInput(problems)
        values = {**_row_values(station_id, evse_id, profile), "source": "csms", "status": "Pending"}
        async with self._session_factory() as session, session.begin():
            await session.execute(insert(ChargingProfileRecord).values(**values))
        try:
            result = await self._send(charger_id, commands.SetChargingProfile(evse_id=evse_id, profile=profile))
        except (errors.ChargerNotConnected, errors.InvalidCommand):  # never reached the charger: nothing to keep
            async with self._session_factory() as session, session.begin():
                await session.execute(delete(ChargingProfileRecord).where(ChargingProfileRecord.id == values["id"]))
            raise
        status = getattr(result, "status", "Rejected")
        reason = getattr(result, "reason", None)
        async with self._session_factory() as session, session.begin():
            if status == "Accepted":  # the charger dropped what this profile replaces
                live = [
                    (row_id, item)
                    for row_id, item in await _installed(session, station_id, _LIVE)
                    if row_id != values["id"]
                ]
                replaced = smart_charging.replaced_profiles(profile, evse_id, [item for _, item in live], version)
                row_ids = [row_id for row_id, item in live if item in replaced]
                if row_ids:
                    await session.execute(
                        update(ChargingProfileRecord)
                        .where(ChargingProfileRecord.id.in_(row_ids))
                        .values(status="Replaced", updated_at=utc_now())
                    )
            await session.execute(
                update(ChargingProfileRecord)
                .where(ChargingProfileRecord.id == values["id"])
                .values(status=status, reason=reason, updated_at=utc_now())
            )
            row = await session.get(ChargingProfileRecord, values["id"])
            assert row is not None
            return _view(row)

    async def clear(
        self,
        charger_id: str,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: ChargingProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> commands.StatusResult:
        """ClearChargingProfile by id, or by EVSE / purpose / stack level (all given must match; none: every
        profile); the stored profiles it cleared are marked Cleared when the charger accepts."""
        async with self._session_factory() as session:
            station = await self._station(session, charger_id)
            station_id = station.id
        request = commands.ClearChargingProfile(
            profile_id=profile_id, evse_id=evse_id, purpose=purpose, stack_level=stack_level
        )
        result = await self._send(charger_id, request)
        status = commands.StatusResult(
            status=getattr(result, "status", "Unknown"), reason=getattr(result, "reason", None)
        )
        if status.status != "Accepted":
            return status
        query = update(ChargingProfileRecord).where(
            ChargingProfileRecord.charging_station_id == station_id,
            ChargingProfileRecord.source == "csms",
            ChargingProfileRecord.status.in_(_LIVE),
        )
        if profile_id is not None:
            query = query.where(ChargingProfileRecord.profile_id == profile_id)
        else:
            if evse_id is not None:
                query = query.where(ChargingProfileRecord.evse_id == evse_id)
            if purpose is not None:
                names = smart_charging.STATION_MAX if purpose in smart_charging.STATION_MAX else {purpose}
                query = query.where(ChargingProfileRecord.purpose.in_(sorted(names)))
            if stack_level is not None:
                query = query.where(ChargingProfileRecord.stack_level == stack_level)
        async with self._session_factory() as session, session.begin():
            await session.execute(query.values(status="Cleared", updated_at=utc_now()))
        return status

    async def composite_schedule(
        self, charger_id: str, evse_id: int, duration: int, unit: ChargingRateUnit | None = None
    ) -> commands.CompositeScheduleResult:
        """The schedule the charger computes for ``evse_id`` (0: its grid connection) over ``duration`` seconds."""
        problems = []
        if evse_id < 0:
            problems.append(FieldError("evseId", "must be 0 (the grid connection) or an EVSE number"))
        if duration <= 0:
            problems.append(FieldError("duration", "must be more than 0 seconds"))
        if problems:
            raise InvalidInput(problems)
        async with self._session_factory() as session:
            await self._station(session, charger_id)
        request = commands.GetCompositeSchedule(evse_id=evse_id, duration=duration, charging_rate_unit=unit)
        result = await self._send(charger_id, request)
        if not isinstance(result, commands.CompositeScheduleResult):
            return commands.CompositeScheduleResult(status=getattr(result, "status", "Rejected"))
        return result

    async def request_report(
        self,
        charger_id: str,
        *,
        evse_id: int | None = None,
        purpose: ChargingProfilePurpose | None = None,
        stack_level: int | None = None,
        profile_ids: tuple[int, ...] = (),
    ) -> ProfileReportRequested:
        """GetChargingProfiles (2.0.1): the charger's ReportChargingProfiles are stored as they come."""
        async with self._session_factory() as session:
            station = await self._station(session, charger_id)
            if station.ocpp_version == "1.6":
                raise InvalidInput(
                    [FieldError("chargerId", "OCPP 1.6 has no GetChargingProfiles: a 1.6 charger cannot report them")]
                )
        request_id = secrets.randbelow(2**31)
        request = commands.GetChargingProfiles(
            request_id=request_id, evse_id=evse_id, purpose=purpose, stack_level=stack_level, profile_ids=profile_ids
        )
        result = await self._send(charger_id, request)
        return ProfileReportRequested(
            request_id=request_id, status=getattr(result, "status", "Rejected"), reason=getattr(result, "reason", None)
        )


async def record_smart_charging_event(
    session_factory: async_sessionmaker[AsyncSession], station_id: uuid.UUID, event: SmartChargingEvent
) -> None:
    """Store what a charger reported about smart charging (called by the CSMS backend)."""
    async with session_factory() as session, session.begin():
        if isinstance(event, ChargingProfilesReported):
            # a new report replaces what earlier reports said; the parts of one report add up
            await session.execute(
                delete(ChargingProfileRecord).where(
                    ChargingProfileRecord.charging_station_id == station_id,
                    ChargingProfileRecord.source == "charger",
                    ChargingProfileRecord.request_id != event.request_id,
                )
            )
            rows = [
                {
                    **_row_values(station_id, event.evse_id, profile),
                    "source": "charger",
                    "status": "Reported",
                    "request_id": event.request_id,
                    "charging_limit_source": event.charging_limit_source,
                }
                for profile in event.profiles
            ]
            if rows:
                await session.execute(insert(ChargingProfileRecord), rows)
        elif isinstance(event, EVChargingNeedsNotified):
            await session.execute(
                insert(EVChargingNeedsRecord).values(
                    charging_station_id=station_id,
                    evse_id=event.evse_id,
                    received_at=event.received_at,
                    requested_energy_transfer=event.requested_energy_transfer,
                    departure_time=event.departure_time,
                    energy_amount_wh=event.energy_amount_wh,
                    ev_max_power_w=event.ev_max_power_w,
                    ev_max_current_a=event.ev_max_current_a,
                    ev_min_current_a=event.ev_min_current_a,
                    ev_max_voltage_v=event.ev_max_voltage_v,
                    state_of_charge=event.state_of_charge,
                    detail=msgspec.to_builtins(event),
                )
            )
        else:
            await session.execute(
                insert(ChargerLogEntry).values(
                    charging_station_id=station_id,
                    kind=type(event).__name__,
                    at=event.received_at,
                    detail=msgspec.to_builtins(event),
                )
            )


class EVChargingNeeds(FrozenAppStruct, frozen=True, kw_only=True):
    """What the EV at an EVSE asked for last (OCPP 2.0.1 NotifyEVChargingNeeds)."""

    evse_id: int
    received_at: datetime
    requested_energy_transfer: str
    departure_time: datetime | None = None
    energy_amount_wh: float | None = None
    ev_max_power_w: float | None = None
    ev_max_current_a: float | None = None
    ev_min_current_a: float | None = None
    ev_max_voltage_v: float | None = None
    state_of_charge: int | None = None


async def latest_ev_charging_needs(session: AsyncSession, charger_id: str, evse_id: int) -> EVChargingNeeds | None:
    """The EV's request where OCPP 2.0.1 reports it: the newest NotifyEVChargingNeeds of the EVSE, if any."""
    row = (
        await session.execute(
            select(EVChargingNeedsRecord)
            .join(ChargingStation, ChargingStation.id == EVChargingNeedsRecord.charging_station_id)
            .where(ChargingStation.ocpp_id == charger_id, EVChargingNeedsRecord.evse_id == evse_id)
            .order_by(EVChargingNeedsRecord.received_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return EVChargingNeeds(
        evse_id=row.evse_id,
        received_at=row.received_at,
        requested_energy_transfer=row.requested_energy_transfer,
        departure_time=row.departure_time,
        energy_amount_wh=row.energy_amount_wh,
        ev_max_power_w=row.ev_max_power_w,
        ev_max_current_a=row.ev_max_current_a,
        ev_min_current_a=row.ev_min_current_a,
        ev_max_voltage_v=row.ev_max_voltage_v,
        state_of_charge=row.state_of_charge,
    )
