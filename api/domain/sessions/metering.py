"""Meter readings of a session turned into the pricing engine's samples, the same way live and for the final bill.

A reading's connector state follows from the reading itself (power drawn, or else energy that moved since the
previous reading), never from messages that may arrive late or be lost. So the cost shown live, the cost
rebuilt after a restart from the stored samples and the final bill are the same computation.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from pricing.costing import CdrTotals
from pricing.idle_fee import IdleFee
from pricing.live_meter import ConnectorState, LiveMeter, MeterSample
from pricing.session import ChargingPeriod
from pricing.tariff import Tariff, decode_tariff

_ZERO = Decimal(0)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def idle_fee_of(document: dict[str, Any] | None) -> IdleFee | None:
    if not document:
        return None
    return IdleFee(
        price_per_minute=Decimal(str(document["price_per_minute"])),
        grace_minutes=int(document.get("grace_minutes", 15)),
        cap=Decimal(str(document["cap"])) if document.get("cap") is not None else None,
        vat=Decimal(str(document["vat"])) if document.get("vat") is not None else None,
    )


def tariff_of(document: dict[str, Any] | None) -> Tariff | None:
    if not document:
        return None
    return decode_tariff(msgspec.json.encode(document))


class SessionMeter:
    """Energy, power, state of charge and running cost of one session, fed with readings in time order."""

    __slots__ = (
        "_meter",
        "_pending_start",
        "_terms",
        "first_at",
        "last_at",
        "power_w",
        "register_wh",
        "soc_percent",
        "start_wh",
    )

    def __init__(
        self, tariff: Tariff | None, time_zone: str, idle_fee: IdleFee | None, *, keep_periods: bool = False
    ) -> None:
        """`keep_periods=True` also keeps the priced pieces, for `charging_periods` (a CDR); live meters need not."""
        self._meter = LiveMeter(tariff, time_zone, idle_fee, keep_periods=keep_periods) if tariff is not None else None
        self._terms = (tariff, time_zone, idle_fee)
        self.start_wh: float | None = None
        self.register_wh: float | None = None
        self.power_w: float | None = None
        self.soc_percent: float | None = None
        self.first_at: datetime | None = None
        self.last_at: datetime | None = None
        self._pending_start: tuple[datetime, float] | None = None

    def start(self, at: datetime, register_wh: float | None) -> None:
        """The transaction's start: the register it began at, counted as charging until the first reading, at the
        power that reading reports (a charger's first reading often comes right after the start, before any energy
        moved: that moment is charging, not idle)."""
        self.start_wh = register_wh
        register = register_wh if register_wh is not None else 0.0
        self.register_wh = register
        self.first_at = self.last_at = at
        self._pending_start = (at, register)

    def add(
        self, at: datetime, energy_wh: float | None, power_w: float | None, soc_percent: float | None = None
    ) -> bool:
        """Take one reading; an older one than the last (a replay, or out of order) is ignored."""
        if self.last_at is not None and at < self.last_at:
            return False
        if soc_percent is not None:
            self.soc_percent = soc_percent
        if power_w is not None:
            self.power_w = power_w
        previous = self.register_wh
        register = previous if energy_wh is None else max(energy_wh, previous or 0.0)
        if register is None:
            self.last_at = at
            return True
        if self.start_wh is None:
            self.start_wh = register
        if power_w is not None:
            state = ConnectorState.CHARGING if power_w > 0 else ConnectorState.SUSPENDED
        else:
            state = ConnectorState.CHARGING if previous is None or register > previous else ConnectorState.SUSPENDED
        self._add(at, register, power_w, state)
        return True

    def _add(self, at: datetime, register_wh: float, power_w: float | None, state: ConnectorState) -> None:
        if self._pending_start is not None:
            started_at, started_wh = self._pending_start
            self._pending_start = None
            if self._meter is not None:
                start_power = power_w if state is ConnectorState.CHARGING else None
                self._meter.add(
                    MeterSample(started_at, _decimal(started_wh), _decimal(start_power or 0.0), ConnectorState.CHARGING)
                )
        self.register_wh = register_wh
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        if self._meter is not None:
            self._meter.add(MeterSample(at, _decimal(register_wh), _decimal(power_w or 0.0), state))

    @property
    def energy_wh(self) -> float:
        if self.register_wh is None or self.start_wh is None:
            return 0.0
        return max(0.0, self.register_wh - self.start_wh)

    def charging_periods(self) -> list[ChargingPeriod]:
        """The priced pieces so far (one per reading interval, split where a tariff restriction may change); empty
        for a free session. Only for a meter made with `keep_periods=True`."""
        return self._meter.charging_periods() if self._meter is not None else []

    def totals(self) -> CdrTotals | None:
        """The cost so far; None when the session is free (no tariff) or has no reading yet."""
        if self._meter is None:
            return None
        if self._meter.sample_count == 0:
            if self._pending_start is None:
                return None
            # no reading yet: the start alone (its fixed fees), priced aside so the first reading still sets the power
            started_at, started_wh = self._pending_start
            tariff, time_zone, idle_fee = self._terms
            assert tariff is not None  # a meter is kept only for a session with a tariff
            alone = LiveMeter(tariff, time_zone, idle_fee, keep_periods=False)
            alone.add(MeterSample(started_at, _decimal(started_wh), _decimal(0.0), ConnectorState.CHARGING))
            return alone.totals()
        return self._meter.totals()
