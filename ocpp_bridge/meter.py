"""Normalisation of sampled meter values: Wh, W, A, V and percent, whatever unit and phase layout the charger used."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime

from msgspec import UNSET

from ocpp_bridge.events import MeterSample
from ocpp_bridge.v16 import messages as v16
from ocpp_bridge.v201 import messages as v201

logger = logging.getLogger(__name__)

# measurand -> (MeterSample field, unit -> factor to the field's unit, default unit)
_MEASURANDS: dict[str, tuple[str, dict[str, float], str]] = {
    "Energy.Active.Import.Register": ("energy_wh", {"Wh": 1.0, "kWh": 1000.0}, "Wh"),
    "Power.Active.Import": ("power_w", {"W": 1.0, "kW": 1000.0}, "W"),
    "SoC": ("soc_percent", {"Percent": 1.0}, "Percent"),
    "Current.Import": ("current_a", {"A": 1.0}, "A"),
    "Voltage": ("voltage_v", {"V": 1.0}, "V"),
}
_SUMMED = {"energy_wh", "power_w"}
_DEFAULT_MEASURAND = "Energy.Active.Import.Register"
_MAX_MULTIPLIER = 30

Reading = tuple[str, str | None, str | None, float]  # measurand, phase, unit, value


def to_utc(moment: datetime) -> datetime:
    """Timezone-aware UTC; a charger sending local time without an offset is taken to mean UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def build_sample(timestamp: datetime, context: str | None, readings: Iterable[Reading]) -> MeterSample:
    """Combine the readings of one instant: the phase-less value wins; otherwise phases are summed (energy,
    power), the highest is taken (current) or averaged (voltage)."""
    overall: dict[str, float] = {}
    phases: dict[str, list[float]] = {}
    for measurand, phase, unit, value in readings:
        spec = _MEASURANDS.get(measurand)
        if spec is None:
            continue
        field, factors, default_unit = spec
        factor = factors.get(unit or default_unit)
        if factor is None or not math.isfinite(value):
            continue
        if phase is None:
            overall[field] = value * factor
        elif field not in _SUMMED or phase in {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}:
            phases.setdefault(field, []).append(value * factor)
    for field, values in phases.items():
        if field in overall:
            continue
        if field in _SUMMED:
            overall[field] = sum(values)
        elif field == "current_a":
            overall[field] = max(values)
        else:
            overall[field] = sum(values) / len(values)
    return MeterSample(timestamp=to_utc(timestamp), context=context, **overall)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def samples_from_v16(meter_values: Iterable[v16.MeterValue | v16.TransactionData]) -> tuple[MeterSample, ...]:
    samples = []
    for meter_value in meter_values:
        readings: list[Reading] = []
        context: str | None = None
        for sampled in meter_value.sampled_value:
            if sampled.format_ == "SignedData":
                continue
            value = _number(sampled.value)
            if value is None:
                logger.debug("ignoring non-numeric sampled value %r", sampled.value)
                continue
            measurand = _DEFAULT_MEASURAND if sampled.measurand is UNSET else sampled.measurand
            phase = None if sampled.phase is UNSET else sampled.phase
            unit = None if sampled.unit is UNSET else sampled.unit
            if context is None and sampled.context is not UNSET:
                context = sampled.context
            readings.append((measurand, phase, unit, value))
        samples.append(build_sample(meter_value.timestamp, context, readings))
    return tuple(samples)


def samples_from_v201(meter_values: Iterable[v201.MeterValueType] | None) -> tuple[MeterSample, ...]:
    samples = []
    for meter_value in meter_values or ():
        readings: list[Reading] = []
        context: str | None = None
        for sampled in meter_value.sampled_value:
            measurand = _DEFAULT_MEASURAND if sampled.measurand is UNSET else sampled.measurand
            phase = None if sampled.phase is UNSET else sampled.phase
            unit: str | None = None
            value = sampled.value
            if sampled.unit_of_measure is not UNSET:
                if sampled.unit_of_measure.unit is not UNSET:
                    unit = sampled.unit_of_measure.unit
                multiplier = sampled.unit_of_measure.multiplier
                if multiplier is not UNSET:
                    if abs(multiplier) > _MAX_MULTIPLIER:
                        continue
                    value = value * 10.0**multiplier
            if context is None and sampled.context is not UNSET:
                context = sampled.context
            readings.append((measurand, phase, unit, value))
        samples.append(build_sample(meter_value.timestamp, context, readings))
    return tuple(samples)


def energy_wh(value: float, unit: str | None = None) -> float:
    """A register value in Wh (1.6 meterStart/meterStop are integers in Wh)."""
    return value * _MEASURANDS[_DEFAULT_MEASURAND][1].get(unit or "Wh", 1.0)
