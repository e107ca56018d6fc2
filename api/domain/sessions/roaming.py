"""What the session lifecycle tells the roaming (OCPI) side about a partner's sessions; `api.domain.ocpi.pushes`
implements it. Each call with a database session runs inside the transaction that made the change."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession
from api.domain.sessions.metering import SessionMeter


class RoamingPushes(Protocol):
    async def session_changed(self, session: AsyncSession, record: ChargingSession) -> None:
        """The session started, failed or was created."""
        ...

    async def session_billed(self, session: AsyncSession, record: ChargingSession) -> None:
        """The session was billed: its final state and its CDR."""
        ...

    def meter_progress(self, row: dict[str, Any], meter: SessionMeter) -> None:
        """The running session's meter moved (called on the OCPP hot path: must not block)."""
        ...
