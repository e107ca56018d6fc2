"""The derating and meter checks on hand-made sample series, as an operator would read them: a 50 kW charger
capping at 20 kW is flagged; the normal taper above 80 %, a limit of ours, and a slow AC car are not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from api.domain.operations.derating import (
    PowerSample,
    Thresholds,
    charger_derating,
    energy_anomalies,
    judge_session,
    percentile,
    soc_band,
    updated_baseline,
)

START = datetime.now(UTC)
RULE = Thresholds(ratio=0.6, soc_below=60.0, min_sessions=3)


def series(
    powers_kw: Sequence[float], *, soc_from: float = 20.0, soc_step: float = 2.0, seconds: float = 60.0, **extra: float
) -> list[PowerSample]:
    """Readings every `seconds`, the register moving by power x time (the power held until the next reading)."""
    samples, energy = [], 10_000.0
    for n, kw in enumerate(powers_kw):
        samples.append(
            PowerSample(
                at=START + timedelta(seconds=seconds * n),
                power_w=kw * 1000,
                soc_percent=soc_from + soc_step * n,
                energy_wh=energy,
                **extra,
            )
        )
        energy += kw * 1000 * seconds / 3600
    return samples


def test_a_50_kw_dc_charger_capping_at_20_kw_below_60_percent_derates() -> None:
    judgement = judge_session(
        series([5, 20, 20, 20, 20, 20]), rating_w=50_000, dc=True, ev_max_power_w=None, baseline_w={}, thresholds=RULE
    )
    assert judgement.judged
    assert judgement.derating
    assert judgement.basis == "rating"
    assert judgement.delivered_w == pytest.approx(20_000)
    assert judgement.expected_w == 50_000
    assert judgement.ratio == pytest.approx(0.4)


def test_a_charger_delivering_its_rating_does_not_derate_despite_a_slow_start() -> None:
    judgement = judge_session(
        series([8, 30, 49, 50, 50, 50]), rating_w=50_000, dc=True, ev_max_power_w=None, baseline_w={}, thresholds=RULE
    )
    assert judgement.judged
    assert not judgement.derating


def test_the_normal_taper_near_80_percent_is_not_derating() -> None:
    # full power to 60 %, then the car tapers to a few kW by 98 %: only readings below 60 % are judged
    powers = [50, 50, 50, 50, 50, 30, 20, 12, 8, 5]
    judgement = judge_session(
        series(powers, soc_from=50, soc_step=5),
        rating_w=50_000,
        dc=True,
        ev_max_power_w=None,
        baseline_w={},
        thresholds=RULE,
    )
    assert not judgement.derating
    only_taper = judge_session(
        series([30, 20, 12, 8, 5], soc_from=75, soc_step=5),
        rating_w=50_000,
        dc=True,
        ev_max_power_w=None,
        baseline_w={},
        thresholds=RULE,
    )
    assert not only_taper.judged  # nothing below 60 %: nothing to say
    assert not only_taper.derating


def test_a_smart_charging_limit_of_ours_is_not_derating() -> None:
    judgement = judge_session(
        series([11, 11, 11, 11, 11], limit_w=11_000),
        rating_w=50_000,
        dc=True,
        ev_max_power_w=None,
        baseline_w={},
        thresholds=RULE,
    )
    assert judgement.judged
    assert not judgement.derating
    assert judgement.limited
    assert judgement.band_power_w == {}  # limited readings teach the baseline nothing


def test_below_a_limit_of_ours_it_still_derates() -> None:
    judgement = judge_session(
        series([8, 8, 8, 8], limit_w=30_000),
        rating_w=50_000,
        dc=True,
        ev_max_power_w=None,
        baseline_w={},
        thresholds=RULE,
    )
    assert judgement.derating
    assert judgement.expected_w == 30_000


def test_the_evs_request_is_the_expectation_where_it_is_lower_than_the_rating() -> None:
    car_takes_what_it_asked = judge_session(
        series([40, 40, 40, 40]), rating_w=150_000, dc=True, ev_max_power_w=40_000, baseline_w={}, thresholds=RULE
    )
    assert car_takes_what_it_asked.judged
    assert not car_takes_what_it_asked.derating
    assert car_takes_what_it_asked.basis == "ev_request"
    capped = judge_session(
        series([7, 7, 7, 7]), rating_w=22_000, dc=False, ev_max_power_w=22_000, baseline_w={}, thresholds=RULE
    )
    assert capped.derating  # an AC car that asked for 22 kW and got 7


def test_an_ac_car_slower_than_the_socket_is_not_held_against_the_rating() -> None:
    judgement = judge_session(
        series([7.4] * 5), rating_w=22_000, dc=False, ev_max_power_w=None, baseline_w={}, thresholds=RULE
    )
    assert not judgement.judged
    assert not judgement.derating
    assert judgement.band_power_w == {20: pytest.approx(7400)}


def test_below_its_own_baseline_derates() -> None:
    baseline = {20: 22_000.0, 40: 22_000.0}
    judgement = judge_session(
        series([9, 9, 9, 9, 9]), rating_w=22_000, dc=False, ev_max_power_w=None, baseline_w=baseline, thresholds=RULE
    )
    assert judgement.derating
    assert judgement.basis == "baseline"


def test_a_reading_without_state_of_charge_is_not_judged() -> None:
    samples = [PowerSample(at=START + timedelta(minutes=n), power_w=10_000) for n in range(5)]
    judgement = judge_session(samples, rating_w=50_000, dc=True, ev_max_power_w=None, baseline_w={}, thresholds=RULE)
    assert not judgement.judged


def test_a_connector_derates_after_min_sessions_in_a_row_and_clears_with_a_normal_one() -> None:
    assert not charger_derating([True, True], 3)
    assert charger_derating([False, True, True, True], 3)
    assert not charger_derating([True, True, True, False], 3)


def test_the_baseline_is_what_even_slower_cars_get_and_bounded() -> None:
    recent: list[float] = []
    for power in [22_000.0, 11_000.0, 11_000.0, 7_400.0, 22_000.0]:  # AC: cars' on-board chargers differ
        recent, baseline = updated_baseline(recent, power)
    assert baseline == 11_000.0
    for _ in range(30):
        recent, baseline = updated_baseline(recent, 40_000.0)
    assert len(recent) == 20
    assert baseline == 40_000.0


def test_bands_and_percentiles() -> None:
    assert [soc_band(v) for v in (0, 19.9, 20, 59, 80, 100)] == [0, 0, 20, 40, 80, 80]
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([10, 20], 0.9) == pytest.approx(19)


def test_a_register_going_backwards_is_an_anomaly() -> None:
    samples = series([20, 20, 20, 20])
    broken = [*samples[:2], PowerSample(at=samples[2].at, power_w=20_000, energy_wh=5_000.0), samples[3]]
    backwards, recovered = energy_anomalies(broken, max_power_w=50_000)
    assert backwards.kind == "register_backwards"
    assert backwards.at == samples[2].at
    assert backwards.detail == {"from": "10333 Wh", "to": "5000 Wh"}
    assert recovered.kind == "impossible_jump"  # and back up in a minute: no meter does that either


def test_a_jump_impossible_at_the_connectors_max_power_is_an_anomaly() -> None:
    samples = series([20, 20, 20, 20])
    jumped = [
        *samples[:3],
        PowerSample(at=samples[3].at, power_w=20_000, energy_wh=(samples[2].energy_wh or 0.0) + 5_000),
    ]
    [anomaly] = energy_anomalies(jumped, max_power_w=50_000)  # 5 kWh in a minute needs 300 kW
    assert anomaly.kind == "impossible_jump"


def test_energy_that_does_not_match_power_times_time_is_an_anomaly() -> None:
    honest = series([20.0] * 11)  # ten minutes at 20 kW: 3.33 kWh
    assert energy_anomalies(honest, max_power_w=50_000) == []
    # the register says half of what the power readings add up to
    halved = [
        PowerSample(
            at=s.at, power_w=s.power_w, soc_percent=s.soc_percent, energy_wh=10_000 + ((s.energy_wh or 0) - 10_000) / 2
        )
        for s in honest
    ]
    [anomaly] = energy_anomalies(halved, max_power_w=50_000)
    assert anomaly.kind == "energy_mismatch"
    assert anomaly.detail == {"metered": "1667 Wh", "powerTimesTime": "3333 Wh"}


def test_small_differences_and_short_sessions_are_no_anomaly() -> None:
    honest = series([20.0] * 11)
    near = [
        PowerSample(at=s.at, power_w=(s.power_w or 0) * 1.1, soc_percent=s.soc_percent, energy_wh=s.energy_wh)
        for s in honest
    ]
    assert energy_anomalies(near, max_power_w=50_000) == []  # within 15 %
    short = series([20.0, 20.0, 0.0], seconds=10)
    assert energy_anomalies(short, max_power_w=50_000) == []
