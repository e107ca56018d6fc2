"""A session's OCPI charging periods, from the same stored readings and the same pricing as its bill.

The meter prices the session in pieces (one per reading interval, split where a tariff restriction may change).
Consecutive pieces are joined into one OCPI period while nothing that prices them differently changes: the same
kind of time (charging or parking) and no restriction boundary between them (a piece that does not start at a
reading began at such a boundary). Each period carries ENERGY (kWh), TIME or PARKING_TIME (hours) and, when power
was reported, MIN_POWER and MAX_POWER (kW).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, ChargingTransaction, MeterSampleRecord
from api.domain.ocpi.numbers import ocpi_number
from api.domain.ocpi.schemas import format_datetime
from api.domain.sessions.metering import SessionMeter, idle_fee_of, tariff_of
from pricing.session import CdrDimensionType, ChargingPeriod

_ZERO = Decimal(0)


class MeteredSession:
    """A session's meter rebuilt from the store with its pieces, and the moments of its readings."""

    def __init__(self, meter: SessionMeter, reading_times: set[datetime]) -> None:
        self.meter = meter
        self.reading_times = reading_times


async def metered_session(session: AsyncSession, record: ChargingSession) -> MeteredSession | None:
    """The stored readings of the session's transaction fed to a meter, as billing does; None before a start."""
    if record.transaction_id is None:
        return None
    transaction = await session.get(ChargingTransaction, record.transaction_id)
    if transaction is None:
        return None
    meter = SessionMeter(tariff_of(record.tariff), record.time_zone, idle_fee_of(record.idle_fee), keep_periods=True)
    meter.start(transaction.started_at, transaction.meter_start_wh)
    times = {transaction.started_at}
    samples = await session.execute(
        select(
            MeterSampleRecord.at, MeterSampleRecord.energy_wh, MeterSampleRecord.power_w, MeterSampleRecord.soc_percent
        )
        .where(MeterSampleRecord.transaction_id == transaction.id)
        .order_by(MeterSampleRecord.at, MeterSampleRecord.id)
    )
    for at, energy, power, soc in samples:
        meter.add(at, energy, power, soc)
        times.add(at)
    if transaction.status == "ended" and transaction.ended_at is not None:
        meter.add(transaction.ended_at, transaction.meter_stop_wh, 0.0)
        times.add(transaction.ended_at)
    return MeteredSession(meter, times)


def ocpi_charging_periods(
    pieces: Iterable[ChargingPeriod], reading_times: set[datetime], tariff_id: str | None
) -> list[dict[str, Any]]:
    """The meter's pieces joined into OCPI ChargingPeriod objects (see the module docstring)."""
    periods: list[dict[str, Any]] = []
    current: list[Any] | None = None  # [start, kind, energy, hours, min power, max power]
    for piece in pieces:
        energy = piece.volume(CdrDimensionType.ENERGY) or _ZERO
        power = piece.volume(CdrDimensionType.POWER)
        charging = piece.volume(CdrDimensionType.TIME) is not None
        kind = "TIME" if charging else "PARKING_TIME"
        hours = piece.volume(CdrDimensionType.TIME if charging else CdrDimensionType.PARKING_TIME) or _ZERO
        joins = current is not None and current[1] == kind and piece.start_date_time in reading_times
        if current is not None and joins:
            current[2] += energy
            current[3] += hours
            if power is not None and power > 0:
                current[4] = power if current[4] is None else min(current[4], power)
                current[5] = power if current[5] is None else max(current[5], power)
            continue
        if current is not None:
            periods.append(_period(current, tariff_id))
        positive = power if power is not None and power > 0 else None
        current = [piece.start_date_time, kind, energy, hours, positive, positive]
    if current is not None:
        periods.append(_period(current, tariff_id))
    return periods


def _period(values: list[Any], tariff_id: str | None) -> dict[str, Any]:
    start, kind, energy, hours, low, high = values
    dimensions = [{"type": "ENERGY", "volume": ocpi_number(energy)}, {"type": kind, "volume": ocpi_number(hours)}]
    if low is not None and high is not None:
        dimensions += [
            {"type": "MIN_POWER", "volume": ocpi_number(low)},
            {"type": "MAX_POWER", "volume": ocpi_number(high)},
        ]
    period: dict[str, Any] = {"start_date_time": format_datetime(start), "dimensions": dimensions}
    if tariff_id is not None:
        period["tariff_id"] = tariff_id
    return period
