"""A session to price, in OCPI 2.2.1 CDR shape (mod_cdrs): charging periods with their dimensions."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec.structs import force_setattr

from pricing.errors import PricingInputError, input_error_from_msgspec
from pricing.money import check_currency

__all__ = [
    "CdrDimension",
    "CdrDimensionType",
    "CdrSession",
    "ChargingPeriod",
    "check_periods",
    "decode_session",
    "decode_session_unchecked",
    "load_time_zone",
]


class CdrDimensionType(enum.Enum):
    """Kinds of values a charging period can carry."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


# Dimensions that are amounts consumed in the period (must not be negative).
_CONSUMED = frozenset({"ENERGY", "TIME", "PARKING_TIME", "RESERVATION_TIME"})


class CdrDimension(msgspec.Struct, frozen=True, gc=False):
    """One measured value of a charging period (kWh, hours, A or kW depending on `type`)."""

    type: CdrDimensionType
    volume: Decimal


def _utc(value: datetime) -> datetime:
    # OCPI: a timestamp without a zone designator is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ChargingPeriod(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """A period of a session; it ends where the next one starts, the last one at the session end."""

    start_date_time: datetime
    dimensions: Annotated[tuple[CdrDimension, ...], msgspec.Meta(min_length=1)]
    tariff_id: str | None = None

    def volume(self, kind: CdrDimensionType) -> Decimal | None:
        """Volume of dimension `kind` in this period, or None when the period does not carry it."""
        for dimension in self.dimensions:
            if dimension.type is kind:
                return dimension.volume
        return None


class CdrSession(msgspec.Struct, frozen=True, kw_only=True):
    """The part of an OCPI CDR that pricing needs, plus an optional IANA `time_zone` of the location.

    Any other CDR field is accepted and ignored, so a full CDR can be given as is.
    """

    start_date_time: datetime
    end_date_time: datetime
    charging_periods: Annotated[tuple[ChargingPeriod, ...], msgspec.Meta(min_length=1)]
    time_zone: str | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "start_date_time", _utc(self.start_date_time))
        force_setattr(self, "end_date_time", _utc(self.end_date_time))
        if self.currency is not None:
            try:
                check_currency(self.currency)
            except PricingInputError as exc:
                raise ValueError(f"currency: {exc.problem}") from None
        if self.end_date_time < self.start_date_time:
            raise ValueError("end_date_time: is before start_date_time")


_SESSION_DECODER = msgspec.json.Decoder(CdrSession)


def decode_session(data: bytes | str) -> CdrSession:
    """Read a session (an OCPI CDR or its pricing subset) from JSON; bad input raises `PricingInputError`."""
    session = decode_session_unchecked(data)
    if session.time_zone is not None:
        load_time_zone(session.time_zone)
    check_periods(session)
    return session


def decode_session_unchecked(data: bytes | str) -> CdrSession:
    """`decode_session` without the checks of the time zone and of the periods (`check_periods`)."""
    try:
        return _SESSION_DECODER.decode(data)
    except msgspec.MsgspecError as exc:
        raise input_error_from_msgspec(exc) from None


def check_periods(session: CdrSession) -> None:
    """Check the charging periods in one pass (time order, finite volumes, consumed volumes not negative, each
    dimension at most once); a naive period start is read as UTC. Raises `PricingInputError` naming the field."""
    if not _periods_plainly_valid(session):
        _check_periods_one_by_one(session)


_ZERO = Decimal(0)
# One bit per dimension type, and the bits of the consumed amounts.
_BITS = {kind.value: 1 << position for position, kind in enumerate(CdrDimensionType)}
_CONSUMED_BITS = sum(_BITS[kind] for kind in _CONSUMED)


def _periods_plainly_valid(session: CdrSession) -> bool:
    """Whether the periods pass every check of `check_periods` and have aware starts; False says nothing more."""
    bits = _BITS
    consumed = _CONSUMED_BITS
    zero = _ZERO
    previous = session.start_date_time
    for period in session.charging_periods:
        start = period.start_date_time
        if start.tzinfo is None or start < previous:
            return False
        previous = start
        seen = 0
        for dimension in period.dimensions:
            volume = dimension.volume
            bit = bits[dimension.type._value_]
            if seen & bit or not volume.is_finite() or (bit & consumed and volume < zero):
                return False
            seen |= bit
    return previous <= session.end_date_time


def _check_periods_one_by_one(session: CdrSession) -> None:
    previous = session.start_date_time
    for index, period in enumerate(session.charging_periods):
        start = period.start_date_time
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
            force_setattr(period, "start_date_time", start)
        if start < previous:
            problem = "is before start_date_time" if index == 0 else f"is before that of period {index - 1}"
            raise PricingInputError(f"charging_periods[{index}].start_date_time", problem)
        previous = start
        seen: list[str] = []
        for position, dimension in enumerate(period.dimensions):
            volume = dimension.volume
            kind = dimension.type.value
            if not volume.is_finite():
                raise PricingInputError(f"charging_periods[{index}].dimensions[{position}].volume", "must be finite")
            if volume < 0 and kind in _CONSUMED:
                raise PricingInputError(
                    f"charging_periods[{index}].dimensions[{position}].volume", "must not be negative"
                )
            if kind in seen:
                raise PricingInputError(
                    f"charging_periods[{index}].dimensions[{position}].type", f"{kind} appears more than once"
                )
            seen.append(kind)
    if previous > session.end_date_time:
        raise PricingInputError(
            f"charging_periods[{len(session.charging_periods) - 1}].start_date_time", "is after end_date_time"
        )


def load_time_zone(name: str | None, field: str = "time_zone") -> ZoneInfo:
    """The IANA time zone `name` (UTC when None); an unknown name raises `PricingInputError` naming `field`."""
    if name is None:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PricingInputError(field, f"unknown IANA time zone {name!r}") from None
