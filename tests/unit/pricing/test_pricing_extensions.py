"""Quote, dynamic prices and price text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from pricing.costing import price_session
from pricing.dynamic import DayAheadPrice, DayAheadSeries, DynamicTariff, PriceWindow
from pricing.errors import NoPriceAvailableError, PricingInputError
from pricing.idle_fee import IdleFee
from pricing.price_text import price_text
from pricing.quote import quote
from pricing.session import decode_session
from pricing.tariff import Tariff, decode_tariff

D = Decimal


def tariff(*components: dict[str, Any], currency: str = "EUR", **extra: Any) -> Tariff:
    body = {"id": "q", "currency": currency, "elements": [{"price_components": list(components)}], **extra}
    return decode_tariff(json.dumps(body))


ENERGY = {"type": "ENERGY", "price": "0.4958", "vat": "19", "step_size": 1}
FLAT = {"type": "FLAT", "price": "0.84034", "vat": "19", "step_size": 0}
PARKING = {"type": "PARKING_TIME", "price": "6", "step_size": 300}


def test_quote_charges_then_parks() -> None:
    result = quote(
        tariff(ENERGY, FLAT, PARKING),
        energy_kwh=D(40),
        duration=timedelta(hours=2),
        power_kw=D(22),
        start=datetime(2024, 5, 2, 9, tzinfo=UTC),
        time_zone="Europe/Berlin",
    )
    assert result.charging_time == timedelta(hours=40 / 22)
    assert result.energy_kwh == 40
    assert result.totals.total_energy_cost.excl_vat == D("19.832")
    parking_hours = D(2) - D(40) / D(22)
    assert result.totals.total_parking_time == pytest.approx(parking_hours, abs=D("1e-9"))
    assert result.hold_amount >= result.totals.total_cost.incl_vat >= result.amount_due - D("0.005")


def test_quote_caps_energy_at_what_the_power_delivers_and_adds_idle_fee() -> None:
    result = quote(
        tariff(ENERGY),
        energy_kwh=D(100),
        duration=timedelta(hours=1),
        power_kw=D(11),
        start=datetime(2024, 5, 2, 9, tzinfo=UTC),
        idle_fee=IdleFee(price_per_minute=D("0.40")),
    )
    assert result.energy_kwh == 11
    assert result.totals.total_parking_cost.excl_vat == 0
    idle = quote(
        tariff(ENERGY),
        energy_kwh=D(11),
        duration=timedelta(hours=2),
        power_kw=D(11),
        start=datetime(2024, 5, 2, 9, tzinfo=UTC),
        idle_fee=IdleFee(price_per_minute=D("0.40"), grace_minutes=15),
    )
    assert idle.totals.total_parking_cost.excl_vat == D(18)  # 45 min after grace


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("power_kw", {"power_kw": D(0)}),
        ("energy_kwh", {"energy_kwh": D(-1)}),
        ("duration", {"duration": timedelta(-1)}),
    ],
)
def test_quote_rejects_bad_arguments(field: str, kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "energy_kwh": D(10),
        "duration": timedelta(hours=1),
        "power_kw": D(11),
        "start": datetime(2024, 1, 1, tzinfo=UTC),
    }
    arguments.update(kwargs)
    with pytest.raises(PricingInputError) as caught:
        quote(tariff(ENERGY), **arguments)
    assert caught.value.field == field


def test_dynamic_windows_resolve_to_a_fixed_tariff_for_the_whole_session() -> None:
    dynamic = DynamicTariff(
        base=tariff(ENERGY, FLAT),
        windows=(
            PriceWindow(start_time="17:00", end_time="21:00", energy_price=D("0.60")),
            PriceWindow(start_time="00:00", end_time="06:00", energy_price=D("0.20")),
        ),
    )
    start = datetime(2024, 6, 3, 15, 30, tzinfo=UTC)  # 17:30 in Amsterdam
    fixed = dynamic.resolve(start, "Europe/Amsterdam")
    assert [c.price for e in fixed.elements for c in e.price_components] == [D("0.60"), D("0.84034")]
    # The session runs past 21:00 local: the price shown at the start applies to all of it.
    session = decode_session(
        json.dumps(
            {
                "start_date_time": start.isoformat(),
                "end_date_time": (start + timedelta(hours=5)).isoformat(),
                "time_zone": "Europe/Amsterdam",
                "charging_periods": [
                    {"start_date_time": start.isoformat(), "dimensions": [{"type": "ENERGY", "volume": 10}]},
                    {
                        "start_date_time": (start + timedelta(hours=4)).isoformat(),
                        "dimensions": [{"type": "ENERGY", "volume": 10}],
                    },
                ],
            }
        )
    )
    assert price_session(fixed, session).total_energy_cost.excl_vat == D(12)
    assert dynamic.resolve(datetime(2024, 6, 3, 10, tzinfo=UTC), "Europe/Amsterdam") == dynamic.base


def test_day_ahead_series_with_margin_and_floor() -> None:
    hour = datetime(2024, 6, 3, 12, tzinfo=UTC)
    series = DayAheadSeries(
        prices=(
            DayAheadPrice(hour, hour + timedelta(hours=1), D("0.10")),
            DayAheadPrice(hour + timedelta(hours=1), hour + timedelta(hours=2), D("-0.50")),
        ),
        margin_per_kwh=D("0.15"),
        margin_percent=D(10),
    )
    dynamic = DynamicTariff(base=tariff(ENERGY), day_ahead=series)
    assert dynamic.energy_price_at(hour + timedelta(minutes=30)) == D("0.26")
    assert dynamic.energy_price_at(hour + timedelta(minutes=90)) == D(0)  # floor
    with pytest.raises(NoPriceAvailableError):
        dynamic.resolve(hour + timedelta(hours=3))
    with pytest.raises(msgspec.ValidationError, match="needs an ENERGY"):
        msgspec.convert({"base": msgspec.to_builtins(tariff(FLAT))}, DynamicTariff)


def test_dynamic_tariff_round_trips_as_json() -> None:
    hour = datetime(2024, 6, 3, 12, tzinfo=UTC)
    dynamic = DynamicTariff(
        base=tariff(ENERGY),
        windows=(PriceWindow(start_time="17:00", end_time="21:00", energy_price=D("0.60"), day_of_week=()),),
        day_ahead=DayAheadSeries(prices=(DayAheadPrice(hour, hour + timedelta(hours=1), D("0.1")),)),
    )
    assert msgspec.json.decode(msgspec.json.encode(dynamic), type=DynamicTariff) == dynamic


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "€0.59/kWh · €1.00 per session · €0.40/min after 15 min idle"),
        ("de", "0,59\u00a0€/kWh · 1,00\u00a0€ pro Ladevorgang · 0,40\u00a0€/Min. nach 15 Min. Standzeit"),
        ("fr", "0,59\u00a0€/kWh · 1,00\u00a0€ par session · 0,40\u00a0€/min après 15 min d'inactivité"),
        ("es", "0,59\u00a0€/kWh · 1,00\u00a0€ por sesión · 0,40\u00a0€/min tras 15 min inactivo"),
        ("nl", "€\u00a00,59/kWh · €\u00a01,00 per sessie · €\u00a00,40/min na 15 min stilstand"),
    ],
)
def test_price_text_in_five_languages(locale: str, expected: str) -> None:
    text = price_text(tariff(ENERGY, FLAT), locale, idle_fee=IdleFee(price_per_minute=D("0.40")))
    assert text.replace("\u202f", "\u00a0") == expected


def test_price_text_conditions_reservation_and_limits() -> None:
    complex_tariff = decode_tariff(
        json.dumps(
            {
                "id": "c",
                "currency": "EUR",
                "max_price": {"excl_vat": 10, "incl_vat": 11},
                "elements": [
                    {
                        "price_components": [{"type": "TIME", "price": 2, "vat": 20, "step_size": 60}],
                        "restrictions": {"reservation": "RESERVATION"},
                    },
                    {
                        "price_components": [{"type": "ENERGY", "price": "0.50", "step_size": 1}],
                        "restrictions": {"start_time": "17:00", "end_time": "20:00", "min_power": 50},
                    },
                    {"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]},
                ],
            }
        )
    )
    assert price_text(complex_tariff, "en_GB") == (
        "€0.50/kWh (17:00-20:00; ≥ 50 kW) · €0.30/kWh · reservation €2.40/h · max. €11.00"
    )
    assert price_text(tariff({"type": "FLAT", "price": 0, "step_size": 0}), "nl") == "gratis"
    assert price_text(tariff({"type": "ENERGY", "price": 35, "step_size": 1}, currency="JPY"), "en") == "¥35/kWh"
    with pytest.raises(PricingInputError, match="locale"):
        price_text(complex_tariff, "it")
