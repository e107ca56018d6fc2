"""Charger registration: whether a charger's BootNotification is Accepted, held Pending or Rejected, onboarding of
unknown chargers with a shared password, and the credential check that accepts a rotated secret.

``charging_stations.registration_status``:

- ``accepted``: provisioned by an operator (``voltway chargers add``) or approved;
- ``pending``: it connected with the onboarding password (``VOLTWAY_OCPP_ONBOARDING_PASSWORD``) and was created
  with one EVSE on a location of its own, off the map; its BootNotification is answered Pending with
  ``VOLTWAY_OCPP_PENDING_INTERVAL``. The central system may configure it; the charger's other messages are refused
  with SecurityError. Approval gives it a secret of its own (through the rotation path), may move it to an
  existing location, and asks it to boot again so it is Accepted;
- ``blocked``: its BootNotification is answered Rejected with ``VOLTWAY_OCPP_REJECTED_INTERVAL``, the rest refused.

A change of status made in another process reaches a process holding the charger within the directory's refresh
interval; the process that makes the change applies it at once.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from typing import TYPE_CHECKING, Final

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, Evse, Location
from api.db.types import utc_now
from api.domain.chargers import audit, rotation
from api.domain.chargers.credentials import verify_charger_secret
from api.domain.chargers.provisioning import ProvisioningError, add_charger
from api.domain.stations.store import bump_revision, touch_location
from ocpp_bridge.events import BootReply
from ocpp_bridge.ports import RegistrationStatus

if TYPE_CHECKING:
    from api.domain.chargers.backend import ChargerDirectory, ChargerRef

logger = logging.getLogger(__name__)

ACCEPTED: Final = "accepted"
PENDING: Final = "pending"
BLOCKED: Final = "blocked"
STATUSES: Final = (ACCEPTED, PENDING, BLOCKED)
_BOOT_STATUS: Final[dict[str, RegistrationStatus]] = {ACCEPTED: "Accepted", PENDING: "Pending", BLOCKED: "Rejected"}


class RegistrationPolicy(msgspec.Struct, frozen=True, kw_only=True):
    onboarding_password: str = ""  # empty: unknown chargers are refused at the upgrade
    pending_interval: int = 60
    rejected_interval: int = 3600
    country_code: str = "NL"
    party_id: str = "VWY"


class Registrations:
    """The backend's side of registration, over the in-memory charger directory (implements the bridge's
    ``ChargerRegistrations`` port)."""

    def __init__(
        self,
        directory: ChargerDirectory,
        session_factory: async_sessionmaker[AsyncSession],
        policy: RegistrationPolicy | None = None,
    ) -> None:
        self.directory = directory
        self.session_factory = session_factory
        self.policy = policy or RegistrationPolicy()

    def registration_status(self, charger_id: str) -> RegistrationStatus:
        ref = self.directory.cached(charger_id)
        return "Accepted" if ref is None else _BOOT_STATUS.get(ref.registration_status, "Accepted")

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        """The charger's secret, the rotated one waiting to be confirmed (which this confirms), or for an unknown
        charger the onboarding password (which creates it, Pending)."""
        ref = self.directory.cached(charger_id)
        if ref is not None and verify_charger_secret(ref.password_hash, password):
            return True
        # Unknown here, a secret changed since it was read, or a rotated one.
        fresh = await self.directory.get(charger_id, fresh=True)
        if fresh is None:
            return await self._onboard(charger_id, password)
        if verify_charger_secret(fresh.password_hash, password):
            return True
        if fresh.pending_password_hash is not None and verify_charger_secret(fresh.pending_password_hash, password):
            await self._promote(charger_id, fresh)
            return True
        return False

    async def _promote(self, charger_id: str, ref: ChargerRef) -> None:
        assert ref.pending_password_hash is not None
        if await rotation.promote(self.session_factory, ref.station_id, ref.pending_password_hash):
            logger.info("charger %s: connected with its new password; the old one no longer works", charger_id)
            await audit.record(self.session_factory, ref.station_id, audit.CHARGER, "password-rotation", "confirmed")
        await self.directory.get(charger_id, fresh=True)

    async def _onboard(self, charger_id: str, password: str | None) -> bool:
        onboarding = self.policy.onboarding_password
        if not onboarding or password is None or not hmac.compare_digest(password.encode(), onboarding.encode()):
            return False
        async with self.session_factory() as session:
            exists = (
                await session.execute(select(ChargingStation.id).where(ChargingStation.ocpp_id == charger_id))
            ).first()
            if exists is not None:  # created by its other connection attempt meanwhile: never overwrite its secret
                return await self._created_meanwhile(charger_id, password)
            try:
                station, created = await add_charger(
                    session,
                    ocpp_id=charger_id,
                    password=onboarding,
                    country_code=self.policy.country_code,
                    party_id=self.policy.party_id,
                    name=f"Onboarding {charger_id}",
                )
            except ProvisioningError:
                logger.exception("charger %s: could not be onboarded", charger_id)
                return False
            except IntegrityError:  # its other connection attempt, or another process, created it first
                await session.rollback()
                return await self._created_meanwhile(charger_id, password)
            if created:
                station.registration_status = PENDING
                await session.commit()
                logger.info("charger %s: onboarded, Pending until an operator approves it", charger_id)
        if not created:
            return await self._created_meanwhile(charger_id, password)
        await self.directory.get(charger_id, fresh=True)
        return True

    async def _created_meanwhile(self, charger_id: str, password: str) -> bool:
        fresh = await self.directory.get(charger_id, fresh=True)
        return fresh is not None and verify_charger_secret(fresh.password_hash, password)

    async def boot_reply(self, charger_id: str, ref: ChargerRef, heartbeat_interval: int) -> BootReply:
        """Accepted with the heartbeat interval, or Pending / Rejected with the interval to boot again after."""
        if ref.registration_status != ACCEPTED:  # rare: read again, an approval may have come from elsewhere
            ref = await self.directory.get(charger_id, fresh=True) or ref
        if ref.registration_status == PENDING:
            return BootReply(status="Pending", interval=self.policy.pending_interval)
        if ref.registration_status == BLOCKED:
            return BootReply(status="Rejected", interval=self.policy.rejected_interval)
        return BootReply(status="Accepted", interval=heartbeat_interval)


# -- operator actions ------------------------------------------------------------------------------------------


async def set_status(
    session: AsyncSession, ocpp_id: str, status: str, *, location_id: uuid.UUID | None = None
) -> ChargingStation:
    """Store a charger's registration status (and, on approval, move it to ``location_id``)."""
    if status not in STATUSES:
        raise ProvisioningError(f"unknown registration status {status!r}")
    station = (
        await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id))
    ).scalar_one_or_none()
    if station is None:
        raise LookupError(f"no charger {ocpp_id!r}")
    station.registration_status = status
    if location_id is not None and location_id != station.location_id:
        await _move(session, station, location_id)
    await session.commit()
    return station


async def _move(session: AsyncSession, station: ChargingStation, location_id: uuid.UUID) -> None:
    """Move the charger and its EVSEs to an existing location; its own placeholder location goes if left empty."""
    if await session.get(Location, location_id) is None:
        raise ProvisioningError(f"no location {location_id}")
    old = station.location_id
    revision = await bump_revision(session)
    await session.execute(update(Evse).where(Evse.charging_station_id == station.id).values(location_id=location_id))
    station.location_id = location_id
    await session.flush()
    remaining = (await session.execute(select(func.count()).select_from(Evse).where(Evse.location_id == old))).scalar()
    others = (
        await session.execute(
            select(func.count()).select_from(ChargingStation).where(ChargingStation.location_id == old)
        )
    ).scalar()
    placeholder = await session.get(Location, old)
    if not remaining and not others and placeholder is not None and placeholder.source == "ocpp":
        await session.execute(delete(Location).where(Location.id == old))
    await touch_location(session, location_id, revision, utc_now())
