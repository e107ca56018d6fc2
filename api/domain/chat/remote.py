"""Remote actions from a process that holds no charger, such as the terminal chat.

A charger's socket lives in one `voltway serve` process. On PostgreSQL every process can reach it through the
command relay (LISTEN/NOTIFY): this joins the relay as a process that holds nothing and forwards each command to
the holder, exactly as a server forwards a command for a charger another server holds. Its OCPP server is never
started, so no charger can connect here. On SQLite there is no relay: only the server's own process reaches its
chargers.
"""

from __future__ import annotations

import os
import secrets
import socket

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.chargers.backend import CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.relay import PostgresCommandRelay
from api.domain.chargers.runtime import bridge_config
from api.settings import Settings
from ocpp_bridge.commands import CommandRequest, CommandResult
from ocpp_bridge.server import CentralSystem


class RelayedCommands:
    """Sends commands to chargers held by other processes; `async with` joins and leaves the relay."""

    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> None:
        if settings.is_sqlite:
            msg = "commands are relayed between processes only on PostgreSQL"
            raise ValueError(msg)
        process_id = f"chat-{socket.gethostname()[:32]}-{os.getpid()}-{secrets.token_hex(3)}"
        self.relay = PostgresCommandRelay(settings.database_url, session_factory, process_id)
        # a central system that never listens: commands for chargers not held here go to the relay
        backend = CsmsService(
            session_factory,
            heartbeat_interval=settings.ocpp_heartbeat_interval,
            meter_writer=MeterSampleWriter(session_factory),
        )
        self.central = CentralSystem(backend, bridge_config(settings), relay=self.relay)

    async def __aenter__(self) -> RelayedCommands:
        await self.relay.start(self.central)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.relay.stop()

    async def send_command(self, charger_id: str, request: CommandRequest) -> CommandResult:
        """The charger's answer, from whichever process holds it (ChargerNotConnected when none does)."""
        return await self.central.send_command(charger_id, request)
