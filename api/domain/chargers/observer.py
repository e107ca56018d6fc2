"""What the OCPP backend tells the driver side about transactions, as a Protocol the sessions service implements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ocpp_bridge.events import MeterSample


class TransactionObserver(Protocol):
    """Called in the order of each charger's messages; the synchronous calls must not block."""

    async def transaction_started(
        self,
        *,
        transaction_id: uuid.UUID,
        station_id: uuid.UUID,
        connector_id: int,
        ocpp_id: str,
        ocpp_transaction_id: str,
        id_token: str | None,
        user_id: uuid.UUID | None,
        started_at: datetime,
        meter_start_wh: float | None,
        accepted: bool,
    ) -> None: ...

    def meter_values(self, transaction_id: uuid.UUID, samples: Sequence[MeterSample]) -> None: ...

    def charging_state(self, transaction_id: uuid.UUID, state: str) -> None: ...

    def connector_status(self, station_id: uuid.UUID, connector_id: int, status: str) -> None: ...

    async def transaction_ended(self, transaction_id: uuid.UUID) -> None: ...


class EndedTransactions(Protocol):
    """Told of each transaction once its end is stored (performance checks); must return at once."""

    def transaction_ended(self, transaction_id: uuid.UUID) -> None: ...
