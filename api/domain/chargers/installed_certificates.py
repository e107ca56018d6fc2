"""What certificates each charger holds, as it answered GetInstalledCertificateIds, kept per charger.

A 1.6 charger (security extension) is asked once per certificate type, since its request names exactly one and its
answer does not repeat it; a 2.0.1 charger is asked for all types at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import InstalledCertificateRecord
from api.db.types import utc_now
from api.domain.chargers.live_writer import table_of
from api.schema import AppStruct
from ocpp_bridge import commands, errors

V16_CERTIFICATE_TYPES = ("CentralSystemRootCertificate", "ManufacturerRootCertificate")
_INSTALLED = table_of(InstalledCertificateRecord)

SendCommand = Callable[[str, commands.CommandRequest], Awaitable[commands.CommandResult]]


class InstalledCertificateView(AppStruct):
    """One certificate on the charger, named by its OCPP hash data; ``certificate_type`` in its version's words."""

    certificate_type: str | None
    hash_algorithm: str
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str
    reported_at: datetime


async def ask_installed_certificates(
    send_command: SendCommand, charger_id: str, ocpp_version: str | None
) -> list[commands.InstalledCertificate]:
    """Everything the charger reports installed (raises the bridge's command errors). ``ocpp_version`` None: not
    known yet (the boot's details may still be on their way to the database), found out by asking."""
    if ocpp_version != "1.6":
        try:
            result = await send_command(charger_id, commands.GetInstalledCertificateIds())
        except errors.InvalidCommand:
            if ocpp_version is not None:
                raise
        else:
            return list(result.certificates) if isinstance(result, commands.InstalledCertificatesResult) else []
    found: list[commands.InstalledCertificate] = []
    for kind in V16_CERTIFICATE_TYPES:
        result = await send_command(charger_id, commands.GetInstalledCertificateIds(certificate_types=(kind,)))
        if isinstance(result, commands.InstalledCertificatesResult):
            found.extend(
                commands.InstalledCertificate(certificate_type=kind, hash_data=c.hash_data) for c in result.certificates
            )
    return found


async def store_installed_certificates(
    session: AsyncSession, station_id: uuid.UUID, certificates: list[commands.InstalledCertificate]
) -> None:
    """Replace what is known of the charger's certificates (in the caller's transaction)."""
    await session.execute(delete(_INSTALLED).where(_INSTALLED.c.charging_station_id == station_id))
    now = utc_now()
    if certificates:
        await session.execute(
            insert(_INSTALLED),
            [
                {
                    "charging_station_id": station_id,
                    "certificate_type": c.certificate_type,
                    "hash_algorithm": c.hash_data.hash_algorithm,
                    "issuer_name_hash": c.hash_data.issuer_name_hash,
                    "issuer_key_hash": c.hash_data.issuer_key_hash,
                    "serial_number": c.hash_data.serial_number,
                    "reported_at": now,
                }
                for c in certificates
            ],
        )


async def list_installed_certificates(session: AsyncSession, station_id: uuid.UUID) -> list[InstalledCertificateView]:
    columns = _INSTALLED.c
    rows = await session.execute(
        select(
            columns.certificate_type,
            columns.hash_algorithm,
            columns.issuer_name_hash,
            columns.issuer_key_hash,
            columns.serial_number,
            columns.reported_at,
        )
        .where(columns.charging_station_id == station_id)
        .order_by(columns.id)
    )
    return [
        InstalledCertificateView(
            certificate_type=kind,
            hash_algorithm=algorithm,
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            reported_at=at,
        )
        for kind, algorithm, name_hash, key_hash, serial, at in rows
    ]
