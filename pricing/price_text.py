"""Price text for drivers before a session starts (EU AFIR / US NEVI price transparency), in en, de, fr, es, nl.

Prices are shown including VAT (what the driver pays) with babel's money formatting for the locale, e.g.
"€0.59/kWh · €1.00 per session · €0.40/min after 15 min idle". Restricted elements carry their condition in
parentheses with language-neutral symbols (17:00-20:00, ≥ 50 kW).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, get_day_names
from babel.numbers import format_currency, format_decimal

from pricing.errors import PricingInputError
from pricing.idle_fee import IdleFee
from pricing.money import add_vat, minor_unit_exponent
from pricing.tariff import (
    PriceComponent,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffRestrictions,
)

__all__ = ["SUPPORTED_LANGUAGES", "price_text"]

SEPARATOR = " · "

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "energy": "{price}/kWh",
        "flat": "{price} per session",
        "time": "{price}/h charging",
        "parking": "{price}/h parking",
        "idle": "{price}/min after {minutes} min idle",
        "idle_cap": "max. {price}",
        "min": "min. {price}",
        "max": "max. {price}",
        "free": "free",
        "reservation_time": "reservation {price}/h",
        "reservation_flat": "reservation {price}",
        "expired": "expired reservation {price}",
    },
    "de": {
        "energy": "{price}/kWh",
        "flat": "{price} pro Ladevorgang",
        "time": "{price}/Std. Laden",
        "parking": "{price}/Std. Parken",
        "idle": "{price}/Min. nach {minutes} Min. Standzeit",
        "idle_cap": "max. {price}",
        "min": "mind. {price}",
        "max": "max. {price}",
        "free": "kostenlos",
        "reservation_time": "Reservierung {price}/Std.",
        "reservation_flat": "Reservierung {price}",
        "expired": "verfallene Reservierung {price}",
    },
    "fr": {
        "energy": "{price}/kWh",
        "flat": "{price} par session",
        "time": "{price}/h de charge",
        "parking": "{price}/h de stationnement",
        "idle": "{price}/min après {minutes} min d'inactivité",
        "idle_cap": "max. {price}",
        "min": "min. {price}",
        "max": "max. {price}",
        "free": "gratuit",
        "reservation_time": "réservation {price}/h",
        "reservation_flat": "réservation {price}",
        "expired": "réservation expirée {price}",
    },
    "es": {
        "energy": "{price}/kWh",
        "flat": "{price} por sesión",
        "time": "{price}/h de carga",
        "parking": "{price}/h de estacionamiento",
        "idle": "{price}/min tras {minutes} min inactivo",
        "idle_cap": "máx. {price}",
        "min": "mín. {price}",
        "max": "máx. {price}",
        "free": "gratis",
        "reservation_time": "reserva {price}/h",
        "reservation_flat": "reserva {price}",
        "expired": "reserva caducada {price}",
    },
    "nl": {
        "energy": "{price}/kWh",
        "flat": "{price} per sessie",
        "time": "{price}/u laden",
        "parking": "{price}/u parkeren",
        "idle": "{price}/min na {minutes} min stilstand",
        "idle_cap": "max. {price}",
        "min": "min. {price}",
        "max": "max. {price}",
        "free": "gratis",
        "reservation_time": "reservering {price}/u",
        "reservation_flat": "reservering {price}",
        "expired": "verlopen reservering {price}",
    },
}

SUPPORTED_LANGUAGES = tuple(_WORDS)

_ORDER = (
    TariffDimensionType.ENERGY,
    TariffDimensionType.FLAT,
    TariffDimensionType.TIME,
    TariffDimensionType.PARKING_TIME,
)
_KEYS = {
    TariffDimensionType.ENERGY: "energy",
    TariffDimensionType.FLAT: "flat",
    TariffDimensionType.TIME: "time",
    TariffDimensionType.PARKING_TIME: "parking",
}


def _language(locale: str) -> str:
    language = locale.replace("-", "_").split("_")[0].lower()
    if language not in _WORDS:
        raise PricingInputError("locale", f"no price text for {locale!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    return language


def _money(amount: Decimal, currency: str, locale: str) -> str:
    """Display rounding: half-up to two digits beyond the minor unit (0.2975 stays, 0.590002 shows 0.59)."""
    shown = amount.quantize(minor_unit_exponent(currency).scaleb(-2), rounding=ROUND_HALF_UP).normalize()
    return format_currency(shown, currency, locale=locale, decimal_quantization=False)


def _condition(r: TariffRestrictions, locale: str) -> str:
    parts: list[str] = []
    if r.start_time is not None or r.end_time is not None:
        parts.append(f"{r.start_time or '00:00'}-{r.end_time or '00:00'}")
    if r.day_of_week:
        names = get_day_names("abbreviated", locale=locale)
        parts.append(", ".join(names[day.weekday] for day in r.day_of_week))
    if r.start_date is not None:
        parts.append("≥ " + format_date(date.fromisoformat(r.start_date), "short", locale=locale))
    if r.end_date is not None:
        parts.append("< " + format_date(date.fromisoformat(r.end_date), "short", locale=locale))
    for value, symbol, unit in (
        (r.min_power, "≥", "kW"),
        (r.max_power, "<", "kW"),
        (r.min_current, "≥", "A"),
        (r.max_current, "<", "A"),
        (r.min_kwh, "≥", "kWh"),
        (r.max_kwh, "<", "kWh"),
    ):
        if value is not None:
            parts.append(f"{symbol} {format_decimal(value, locale=locale)} {unit}")
    if r.min_duration is not None:
        parts.append(f"≥ {format_decimal(Decimal(r.min_duration) / 60, locale=locale)} min")
    if r.max_duration is not None:
        parts.append(f"< {format_decimal(Decimal(r.max_duration) / 60, locale=locale)} min")
    return "; ".join(parts)


def _line(words: dict[str, str], key: str, component: PriceComponent, currency: str, locale: str) -> str:
    return words[key].format(price=_money(add_vat(component.price, component.vat), currency, locale))


def price_text(tariff: Tariff, locale: str, *, idle_fee: IdleFee | None = None) -> str:
    """One line a driver reads before starting, built from the tariff's elements (not its alt texts), so the text
    always matches what is billed; prices include VAT."""
    language = _language(locale)
    words = _WORDS[language]
    currency = tariff.currency
    parts: list[str] = []
    for dimension in _ORDER:
        for element in tariff.elements:
            restrictions = element.restrictions
            if restrictions is not None and restrictions.reservation is not None:
                continue
            for component in element.price_components:
                if component.type is not dimension:
                    continue
                if dimension is TariffDimensionType.FLAT and component.price == 0:
                    continue
                text = _line(words, _KEYS[dimension], component, currency, locale)
                condition = _condition(restrictions, locale) if restrictions is not None else ""
                parts.append(f"{text} ({condition})" if condition else text)
    if idle_fee is not None:
        idle = words["idle"].format(
            price=_money(add_vat(idle_fee.price_per_minute, idle_fee.vat), currency, locale),
            minutes=idle_fee.grace_minutes,
        )
        if idle_fee.cap is not None:
            idle += (
                f" ({words['idle_cap'].format(price=_money(add_vat(idle_fee.cap, idle_fee.vat), currency, locale))})"
            )
        parts.append(idle)
    for element in tariff.elements:
        restrictions = element.restrictions
        if restrictions is None or restrictions.reservation is None:
            continue
        expired = restrictions.reservation is ReservationRestrictionType.RESERVATION_EXPIRES
        for component in element.price_components:
            key = (
                "expired"
                if expired
                else ("reservation_time" if component.type is TariffDimensionType.TIME else "reservation_flat")
            )
            parts.append(_line(words, key, component, currency, locale))
    if tariff.min_price is not None:
        amount = tariff.min_price.incl_vat if tariff.min_price.incl_vat is not None else tariff.min_price.excl_vat
        parts.append(words["min"].format(price=_money(amount, currency, locale)))
    if tariff.max_price is not None:
        amount = tariff.max_price.incl_vat if tariff.max_price.incl_vat is not None else tariff.max_price.excl_vat
        parts.append(words["max"].format(price=_money(amount, currency, locale)))
    return SEPARATOR.join(parts) if parts else words["free"]
