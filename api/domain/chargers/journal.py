"""A charger's diagnostics for support: its last OCPP messages (the bridge's message journal, kept in memory by the
process holding its socket and read from any process through the command relay) and its recent faults
(``charger_log``).

The journal reaches an agent with secrets taken out twice: structurally by the bridge (passwords, the charger
password setting, certificates and keys), then every string through the log filter (`api.logs.redact`: tokens in
URLs, Authorization values, JWTs, payment keys).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Final, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargerLogEntry
from api.logs import redact
from api.schema import FrozenAppStruct
from ocpp_bridge import errors as ocpp_errors
from ocpp_bridge.journal import JournalFrame, JournalSnapshot

logger = logging.getLogger(__name__)

# charger_log kinds that are faults: a connector or the charger reporting an error in a StatusNotification
FAULT_KINDS: Final = ("ConnectorFault", "ChargerFault")


class JournalSource(Protocol):
    """Reads a charger's journal wherever it is kept: ``CentralSystem`` and ``BridgeRuntime``."""

    async def read_journal(self, charger_id: str, limit: int | None = None) -> JournalSnapshot | None: ...


class JournalEntry(FrozenAppStruct, frozen=True, kw_only=True):
    """One OCPP frame. ``action`` of a CallResult/CallError is the action of the Call it answers (null once that
    Call has left the journal). ``payload`` is the Call's or result's payload, or a CallError's details, with
    secrets replaced by "[redacted]"; a frame longer than the bridge keeps (``truncated``) has none."""

    at: datetime
    direction: Literal["charger->csms", "csms->charger"]
    message_type: Literal["Call", "CallResult", "CallError"] | None
    unique_id: str | None
    action: str | None
    payload: Any = None
    error_code: str | None = None
    error_description: str | None = None
    size: int
    truncated: bool = False


class ConnectionChange(FrozenAppStruct, frozen=True, kw_only=True):
    at: datetime
    event: Literal["connected", "disconnected"]
    ocpp_version: str | None = None
    close_code: int | None = None
    close_reason: str | None = None


class ChargerJournalView(FrozenAppStruct, frozen=True, kw_only=True):
    """The charger's last OCPP messages, oldest first (newest last). ``available`` false: no process keeps a
    journal for it (it is not connected anywhere and did not disconnect from this process lately, or the holder
    did not answer); ``detail`` says which."""

    charger_id: str
    available: bool
    detail: str | None = None
    connected: bool | None = None
    entries: list[JournalEntry]
    connections: list[ConnectionChange]


class ChargerFault(FrozenAppStruct, frozen=True, kw_only=True):
    """A fault the charger reported (``kind`` ConnectorFault or ChargerFault), with its error codes and info."""

    at: datetime
    kind: str
    detail: dict[str, Any]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _entry(frame: JournalFrame) -> JournalEntry:
    return JournalEntry(
        at=frame.at,
        direction=frame.direction,
        message_type=frame.message_type,
        unique_id=frame.unique_id,
        action=frame.action,
        payload=_clean(frame.payload),
        error_code=frame.error_code,
        error_description=None if frame.error_description is None else redact(frame.error_description),
        size=frame.size,
        truncated=frame.truncated,
    )


async def journal_view(source: JournalSource | None, charger_id: str, limit: int) -> ChargerJournalView:
    """The charger's journal from the process holding its socket, or kept here since it disconnected here; never
    an error: what cannot be read is said in ``detail``."""
    if source is None:
        return ChargerJournalView(
            charger_id=charger_id,
            available=False,
            detail="This process does not run the OCPP bridge.",
            entries=[],
            connections=[],
        )
    try:
        snapshot = await source.read_journal(charger_id, limit)
    except ocpp_errors.CommandError as exc:
        logger.warning("journal of %s: the process holding it did not answer: %s", charger_id, exc)
        return ChargerJournalView(
            charger_id=charger_id,
            available=False,
            detail=f"The process holding the charger did not answer: {exc}",
            entries=[],
            connections=[],
        )
    if snapshot is None:
        return ChargerJournalView(
            charger_id=charger_id,
            available=False,
            detail="No journal: the charger is not connected, and no journal was kept since it disconnected.",
            entries=[],
            connections=[],
        )
    return ChargerJournalView(
        charger_id=charger_id,
        available=True,
        connected=snapshot.connected,
        entries=[_entry(frame) for frame in snapshot.frames],
        connections=[
            ConnectionChange(
                at=change.at,
                event=change.event,
                ocpp_version=change.ocpp_version,
                close_code=change.close_code,
                close_reason=change.close_reason,
            )
            for change in snapshot.connections
        ],
    )


async def read_journal(source: JournalSource | None, charger_id: str, limit: int = 50) -> list[JournalEntry]:
    """The charger's last ``limit`` OCPP messages, oldest first; empty when no journal can be read (see
    ``journal_view`` for why). ``source``: ``Services.bridge`` (None when the process runs no bridge)."""
    return (await journal_view(source, charger_id, limit)).entries


async def recent_faults(
    db_session: AsyncSession, charging_station_id: uuid.UUID, limit: int = 20
) -> list[ChargerFault]:
    """The charger's last ``limit`` faults, newest first."""
    rows = await db_session.execute(
        select(ChargerLogEntry.at, ChargerLogEntry.kind, ChargerLogEntry.detail)
        .where(ChargerLogEntry.charging_station_id == charging_station_id, ChargerLogEntry.kind.in_(FAULT_KINDS))
        .order_by(ChargerLogEntry.at.desc(), ChargerLogEntry.id.desc())
        .limit(limit)
    )
    return [ChargerFault(at=at, kind=kind, detail=dict(detail or {})) for at, kind, detail in rows]
