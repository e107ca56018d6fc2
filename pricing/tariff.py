"""OCPI 2.2.1 Tariff model (mod_tariffs) as frozen msgspec Structs, read from and written to OCPI JSON."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec.structs import force_setattr

from pricing.errors import PricingInputError, input_error_from_msgspec
from pricing.money import check_currency

__all__ = [
    "DayOfWeek",
    "DisplayText",
    "EnergyMix",
    "EnergySource",
    "EnvironmentalImpact",
    "Price",
    "PriceComponent",
    "ReservationRestrictionType",
    "Tariff",
    "TariffDimensionType",
    "TariffElement",
    "TariffRestrictions",
    "TariffType",
    "decode_tariff",
    "encode_tariff",
]

TimeOfDay = Annotated[str, msgspec.Meta(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]
LocalDate = Annotated[str, msgspec.Meta(pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]


class TariffDimensionType(enum.Enum):
    """What a price component prices."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class DayOfWeek(enum.Enum):
    """Day of the week, in the location's local time."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @property
    def weekday(self) -> int:
        """Python's `date.weekday()` number of this day (Monday is 0)."""
        return _WEEKDAYS.index(self)


_WEEKDAYS = tuple(DayOfWeek)


class ReservationRestrictionType(enum.Enum):
    """Marks tariff elements that price a reservation, or a reservation that expired unused."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffType(enum.Enum):
    """Which sessions a tariff is meant for (payment method or charging preference)."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


def _finite(name: str, value: Decimal | None, *, allow_negative: bool = False) -> None:
    if value is None:
        return
    if not value.is_finite():
        raise ValueError(f"{name}: must be a finite number")
    if not allow_negative and value < 0:
        raise ValueError(f"{name}: must not be negative")


class Price(msgspec.Struct, frozen=True, omit_defaults=True):
    """An amount of money excluding and (optionally on input) including VAT."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None

    def __post_init__(self) -> None:
        _finite("excl_vat", self.excl_vat)
        _finite("incl_vat", self.incl_vat)


class DisplayText(msgspec.Struct, frozen=True):
    """A text in one language (ISO 639-1 code)."""

    language: str
    text: str


class PriceComponent(msgspec.Struct, frozen=True, omit_defaults=True):
    """Price per unit of one dimension, its VAT percentage and the step in which it is billed."""

    type: TariffDimensionType
    price: Decimal
    step_size: int
    vat: Decimal | None = None

    def __post_init__(self) -> None:
        _finite("price", self.price)
        _finite("vat", self.vat)
        if self.step_size < 0:
            raise ValueError("step_size: must not be negative")


class TariffRestrictions(msgspec.Struct, frozen=True, omit_defaults=True):
    """Conditions under which a tariff element is active; all set fields must hold (logical AND)."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: tuple[DayOfWeek, ...] = ()
    reservation: ReservationRestrictionType | None = None

    def __post_init__(self) -> None:
        for name in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"):
            _finite(name, getattr(self, name))
        for name in ("min_duration", "max_duration"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name}: must not be negative")
        for name in ("start_date", "end_date"):
            value = getattr(self, name)
            if value is not None:
                try:
                    datetime.strptime(value, "%Y-%m-%d")  # noqa: DTZ007 - a calendar date, no instant
                except ValueError:
                    raise ValueError(f"{name}: not a calendar date {value!r}") from None


class TariffElement(msgspec.Struct, frozen=True, omit_defaults=True):
    """Price components that share one set of restrictions."""

    price_components: Annotated[tuple[PriceComponent, ...], msgspec.Meta(min_length=1)]
    restrictions: TariffRestrictions | None = None

    def __post_init__(self) -> None:
        if self.restrictions is not None and self.restrictions.reservation is not None:
            for component in self.price_components:
                if component.type not in {TariffDimensionType.FLAT, TariffDimensionType.TIME}:
                    kind = component.type.value
                    raise ValueError(
                        f"price_components: a reservation element can only price FLAT and TIME, not {kind}"
                    )


class EnergySource(msgspec.Struct, frozen=True):
    """Share of one energy source in the supplied energy."""

    source: str
    percentage: Decimal


class EnvironmentalImpact(msgspec.Struct, frozen=True):
    """Environmental impact per kWh of one category."""

    category: str
    amount: Decimal


class EnergyMix(msgspec.Struct, frozen=True, omit_defaults=True):
    """Details on the energy supplied with a tariff."""

    is_green_energy: bool
    energy_sources: tuple[EnergySource, ...] = ()
    environ_impact: tuple[EnvironmentalImpact, ...] = ()
    supplier_name: str | None = None
    energy_product_name: str | None = None


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return None if value is None else value.astimezone(UTC)
    return value.replace(tzinfo=UTC)


class Tariff(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    """An OCPI 2.2.1 Tariff.

    `country_code`, `party_id` and `last_updated` are required by OCPI but optional here, because tariffs embedded
    in CDRs or pushed by real feeds often leave them out and they play no part in pricing.
    """

    country_code: str | None = None
    party_id: str | None = None
    id: str
    currency: str
    type: TariffType | None = None
    tariff_alt_text: tuple[DisplayText, ...] = ()
    tariff_alt_url: str | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[tuple[TariffElement, ...], msgspec.Meta(min_length=1)]
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: datetime | None = None

    def __post_init__(self) -> None:
        try:
            check_currency(self.currency)
        except PricingInputError as exc:
            raise ValueError(f"currency: {exc.problem}") from None
        # OCPI: a timestamp without a zone designator is UTC.
        for name in ("last_updated", "start_date_time", "end_date_time"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                force_setattr(self, name, _as_utc(value))

    def is_valid_at(self, instant: datetime) -> bool:
        """Whether `instant` lies in the tariff's [start_date_time, end_date_time) validity window."""
        if self.start_date_time is not None and instant < self.start_date_time:
            return False
        return self.end_date_time is None or instant < self.end_date_time


_TARIFF_DECODER = msgspec.json.Decoder(Tariff)
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def decode_tariff(data: bytes | str) -> Tariff:
    """Read an OCPI Tariff from JSON (numbers decoded exactly to Decimal); bad input raises `PricingInputError`."""
    try:
        return _TARIFF_DECODER.decode(data)
    except msgspec.MsgspecError as exc:
        raise input_error_from_msgspec(exc) from None


def encode_tariff(tariff: Tariff) -> bytes:
    """Write a Tariff as OCPI JSON: amounts as JSON numbers (OCPI `number`), absent optional fields left out."""
    return _ENCODER.encode(tariff)
