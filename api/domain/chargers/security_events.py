"""Security events chargers report (SecurityEventNotification): stored per charger, critical ones logged loudly.

Which events are critical follows the OCPP 2.0.1 list of security events (Part 2, appendix 1); the 1.6 security
whitepaper uses the same names, with CentralSystem where 2.0.1 says Csms.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, SecurityEventRecord
from api.domain.chargers.live_writer import table_of
from api.schema import AppStruct
from ocpp_bridge.events import SecurityEventReceived

logger = logging.getLogger(__name__)

CRITICAL_SECURITY_EVENTS = frozenset(
    {
        "FirmwareUpdated",
        "SettingSystemTime",
        "StartupOfTheDevice",
        "ResetOrReboot",
        "SecurityLogWasCleared",
        "MemoryExhaustion",
        "TamperDetectionActivated",
        "MaintenanceLoginAccepted",
        "MaintenanceLoginFailed",
    }
)
_EVENTS = table_of(SecurityEventRecord)
_STATIONS = table_of(ChargingStation)
DEFAULT_LIMIT = 100


class SecurityEvent(AppStruct):
    """One security event a charger reported; ``timestamp`` as the charger stamped it."""

    kind: str
    timestamp: datetime
    received_at: datetime
    critical: bool
    tech_info: str | None = None


def is_critical(kind: str) -> bool:
    return kind in CRITICAL_SECURITY_EVENTS


async def record_security_event(
    session_factory: async_sessionmaker[AsyncSession], station_id: uuid.UUID, event: SecurityEventReceived
) -> None:
    """Store one event; a replayed message (same message id) is stored once."""
    critical = is_critical(event.kind)
    if critical:
        logger.warning(
            "critical security event %s from charger %s: %s",
            event.kind,
            event.charger_id,
            event.tech_info or "",
            extra={"charger_id": event.charger_id},
        )
    columns = _EVENTS.c
    async with session_factory() as session, session.begin():
        seen = await session.scalar(
            select(columns.id).where(
                columns.charging_station_id == station_id, columns.message_id == event.message_id[:64]
            )
        )
        if seen is not None:
            return
        await session.execute(
            insert(_EVENTS).values(
                charging_station_id=station_id,
                kind=event.kind[:50],
                timestamp=event.timestamp,
                received_at=event.received_at,
                tech_info=None if event.tech_info is None else event.tech_info[:255],
                critical=critical,
                message_id=event.message_id[:64],
            )
        )


async def list_security_events(
    session: AsyncSession, station_id: uuid.UUID, *, limit: int = DEFAULT_LIMIT
) -> list[SecurityEvent]:
    """The charger's newest events first."""
    columns = _EVENTS.c
    rows = await session.execute(
        select(columns.kind, columns.timestamp, columns.received_at, columns.critical, columns.tech_info)
        .where(columns.charging_station_id == station_id)
        .order_by(columns.timestamp.desc(), columns.id.desc())
        .limit(limit)
    )
    return [
        SecurityEvent(kind=kind, timestamp=at, received_at=received, critical=critical, tech_info=info)
        for kind, at, received, critical, info in rows
    ]
