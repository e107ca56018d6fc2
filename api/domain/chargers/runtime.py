"""The OCPP bridge inside a Voltway process: the central system, its database backend and the relay."""

from __future__ import annotations

import os
import secrets
import socket

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.chargers.backend import CsmsService
from api.domain.chargers.certificates import configure_security
from api.domain.chargers.live_writer import LiveStateWriter
from api.domain.chargers.local_list import LocalListKeeper
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.registration import RegistrationPolicy
from api.domain.chargers.relay import LocalCommandRelay, PostgresCommandRelay
from api.domain.chargers.reservations import ReservationService, expire_reservations
from api.heap import HeapFreezer
from api.metrics.instruments import BridgeMetrics
from api.periodic import Periodic
from api.settings import Settings
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.journal import JournalSnapshot
from ocpp_bridge.server import CentralSystem

METER_FLUSH_SECONDS = 0.25


def bridge_config(settings: Settings, *, reuse_port: bool = False) -> BridgeConfig:
    return BridgeConfig(
        host=settings.ocpp_host,
        port=settings.ocpp_port,
        heartbeat_interval=settings.ocpp_heartbeat_interval,
        command_timeout=settings.ocpp_command_timeout,
        tls_cert_path=settings.ocpp_tls_cert or None,
        tls_key_path=settings.ocpp_tls_key or None,
        tls_client_ca_path=settings.ocpp_tls_client_ca or None,
        csms_organization=settings.ocpp_csms_organization or None,
        reuse_port=reuse_port,
        journal_size=settings.ocpp_journal_size,
    )


def registration_policy(settings: Settings) -> RegistrationPolicy:
    return RegistrationPolicy(
        onboarding_password=settings.ocpp_onboarding_password,
        pending_interval=settings.ocpp_pending_interval,
        rejected_interval=settings.ocpp_rejected_interval,
        country_code=settings.ocpi_country_code,
        party_id=settings.ocpi_party_id,
    )


class BridgeRuntime:
    """Starts and stops the bridge with the process; stopping writes buffered meter samples and live state first.

    The backend and the relay share one live-state writer, so statuses, boots and connects of one flush land
    in one transaction with one catalogue revision.
    """

    def __init__(
        self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], *, reuse_port: bool = False
    ) -> None:
        self.process_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"
        # Small, frequent batches: writing one blocks the event loop for its rows' parameter processing.
        self.meters = MeterSampleWriter(session_factory, flush_seconds=METER_FLUSH_SECONDS)
        self.live = LiveStateWriter(session_factory)
        self.csms = CsmsService(
            session_factory,
            heartbeat_interval=settings.ocpp_heartbeat_interval,
            meter_writer=self.meters,
            live_writer=self.live,
            clock_future_margin_seconds=settings.ocpp_clock_future_margin_seconds,
            master_pass_group_id=settings.ocpp_master_pass_group_id,
            registration_policy=registration_policy(settings),
        )
        configure_security(self.csms.security, settings)
        self.relay: LocalCommandRelay | PostgresCommandRelay
        if settings.is_sqlite:
            self.relay = LocalCommandRelay(session_factory, self.process_id, live_writer=self.live)
        else:
            self.relay = PostgresCommandRelay(
                settings.database_url, session_factory, self.process_id, live_writer=self.live
            )
        self.central = CentralSystem(
            self.csms,
            bridge_config(settings, reuse_port=reuse_port),
            relay=self.relay,
            observer=BridgeMetrics(),
            registrations=self.csms.registrations,
        )
        self.csms.security.send_command = self.central.send_command
        self.heap = HeapFreezer()
        self.local_lists = LocalListKeeper(
            session_factory,
            self.central.send_command,
            held=self._held,
            master_pass_group_id=settings.ocpp_master_pass_group_id,
        )
        self.reservations = ReservationService(session_factory, self.central.send_command)
        self._session_factory = session_factory
        self.authorisation_upkeep = Periodic(
            "ocpp-authorisation-upkeep", settings.ocpp_authorisation_upkeep_seconds, self._authorisation_upkeep
        )

    def _held(self) -> dict[str, str]:
        return {charger.charger_id: charger.ocpp_version for charger in self.central.chargers()}

    async def _authorisation_upkeep(self) -> None:
        """Local lists and caches of the chargers held here follow token changes; reservations expire."""
        await expire_reservations(self._session_factory)
        await self.local_lists.upkeep()

    @property
    def port(self) -> int:
        return self.central.port

    async def read_journal(self, charger_id: str, limit: int | None = None) -> JournalSnapshot | None:
        """The charger's message journal, from whichever process holds its socket (see ``CentralSystem``)."""
        return await self.central.read_journal(charger_id, limit)

    async def start(self) -> None:
        await self.live.start()
        await self.csms.start()
        await self.relay.start(self.central)
        await self.central.start()
        self.heap.start()
        self.authorisation_upkeep.start()

    async def stop(self) -> None:
        await self.authorisation_upkeep.stop()
        await self.heap.stop()
        await self.central.stop()
        await self.relay.stop()
        await self.csms.stop()
        await self.live.stop()
