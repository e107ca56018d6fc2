"""Meter readings come out in Wh, W, A, V and percent whatever the charger's units and phase layout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ocpp_bridge.meter import build_sample, to_utc

T = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_units_are_normalised() -> None:
    sample = build_sample(
        T,
        "Sample.Periodic",
        [
            ("Energy.Active.Import.Register", None, "kWh", 12.345),
            ("Power.Active.Import", None, "kW", 7.2),
            ("SoC", None, "Percent", 80.0),
            ("Voltage", None, None, 231.0),
            ("Temperature", None, "Celsius", 40.0),
        ],
    )
    assert sample.energy_wh == 12345.0
    assert sample.power_w == 7200.0
    assert sample.soc_percent == 80.0
    assert sample.voltage_v == 231.0
    assert sample.current_a is None
    assert sample.context == "Sample.Periodic"


def test_default_unit_is_wh_and_unknown_units_are_ignored() -> None:
    assert build_sample(T, None, [("Energy.Active.Import.Register", None, None, 500.0)]).energy_wh == 500.0
    assert build_sample(T, None, [("Energy.Active.Import.Register", None, "varh", 500.0)]).energy_wh is None


def test_phases_are_combined_unless_a_total_is_given() -> None:
    phases = [
        ("Power.Active.Import", "L1", "W", 3000.0),
        ("Power.Active.Import", "L2", "W", 3100.0),
        ("Power.Active.Import", "L3", "W", 2900.0),
        ("Current.Import", "L1", "A", 13.0),
        ("Current.Import", "L2", "A", 14.0),
        ("Voltage", "L1-N", "V", 230.0),
        ("Voltage", "L2-N", "V", 232.0),
    ]
    sample = build_sample(T, None, phases)
    assert sample.power_w == 9000.0
    assert sample.current_a == 14.0
    assert sample.voltage_v == 231.0
    with_total = build_sample(T, None, [*phases, ("Power.Active.Import", None, "kW", 9.1)])
    assert with_total.power_w == 9100.0


def test_times_become_utc() -> None:
    assert to_utc(datetime(2026, 11, 27, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == T
    assert to_utc(datetime(2026, 11, 27, 9, 0)) == T
    assert to_utc(datetime(2026, 11, 27, 10, 0, tzinfo=timezone(timedelta(hours=1)))).tzinfo is UTC
