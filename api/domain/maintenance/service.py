"""The maintenance services of one process: the EVSE hold (wired to the OCPI status push), the clock, and the
periodic scan that opens work orders as schedules come due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.types import utc_now
from api.domain.maintenance.out_of_service import ServiceStatus, StatusChanged
from api.domain.maintenance.schedules import open_due_work_orders
from api.periodic import Periodic

SCAN_SECONDS: Final = 60.0  # a schedule's work order appears within a minute of its day starting (UTC)


class Maintenance:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        on_status_changed: StatusChanged | None = None,
        clock: Callable[[], datetime] = utc_now,
        scan_seconds: float = SCAN_SECONDS,
    ) -> None:
        self.session_factory = session_factory
        self.service_status = ServiceStatus(on_status_changed)
        self.clock = clock
        self.scan = Periodic("maintenance-schedules", scan_seconds, self._scan)

    async def open_due(self) -> int:
        """Open the work orders of every schedule occurrence due now; returns how many were opened."""
        return await open_due_work_orders(self.session_factory, self.clock())

    async def _scan(self) -> None:
        await self.open_due()
