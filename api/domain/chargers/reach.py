"""Reaching chargers from a process that holds none of them (the command line): through the PostgreSQL command
relay to whichever `voltway serve` / `voltway ocpp serve` process holds the charger's socket."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.chargers.backend import CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.operations import Send
from api.domain.chargers.relay import PostgresCommandRelay
from api.settings import Settings
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors
from ocpp_bridge.server import CentralSystem

SQLITE_UNREACHABLE = (
    "{charger_id} cannot be reached from the command line on SQLite: only the running `voltway serve` holds "
    "charger connections. Keep the charger connected to it and use the admin API "
    "(POST /v1/admin/chargers/{charger_id}/...), or run on PostgreSQL, where commands reach any process."
)


class UnreachableOnSqlite(ocpp_errors.ChargerNotConnected):
    """The embedded deployment has no relay a second process could use."""


@contextlib.asynccontextmanager
async def relayed_sender(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[Send]:
    """A ``send`` that runs commands on the process holding the charger, for as long as the context lasts."""
    if settings.is_sqlite:

        async def unreachable(charger_id: str, _request: ocpp_commands.CommandRequest) -> ocpp_commands.CommandResult:
            raise UnreachableOnSqlite(SQLITE_UNREACHABLE.format(charger_id=charger_id))

        yield unreachable
        return
    process_id = f"cli-{socket.gethostname()[:30]}-{os.getpid()}-{secrets.token_hex(3)}"
    relay = PostgresCommandRelay(settings.database_url, session_factory, process_id)
    # never started: it only receives the (impossible) commands relayed to chargers this process would hold
    idle = CentralSystem(
        CsmsService(
            session_factory,
            heartbeat_interval=settings.ocpp_heartbeat_interval,
            meter_writer=MeterSampleWriter(session_factory),
        ),
        relay=relay,
    )
    await relay.start(idle)
    timeout = settings.ocpp_command_timeout

    async def send(charger_id: str, request: ocpp_commands.CommandRequest) -> ocpp_commands.CommandResult:
        return await relay.forward_command(charger_id, request, timeout)

    try:
        yield send
    finally:
        await relay.stop()
