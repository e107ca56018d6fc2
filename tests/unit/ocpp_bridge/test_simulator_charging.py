"""The simulator charges like a real charger: within its connector's rating, AC flat and DC tapering above 80 %,
a meter value right after the start, and energy that is power x time. Driven offline, so every message it would
send waits in its queue in order."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from ocpp_bridge.simulator import ChargerRating, SimulatedCharger, SimulationReport, SimulatorConfig

INTERVAL = 10.0


def charger(rating: ChargerRating, seed: int = 0) -> SimulatedCharger:
    config = SimulatorConfig(ocpp_version="2.0.1", seed=seed, ratings={"SIM-00001": rating})
    return SimulatedCharger("SIM-00001", config, SimulationReport(), asyncio.Semaphore(1))


def readings(sim: SimulatedCharger) -> list[tuple[str, float, float, float]]:
    """(event type, register Wh, power W, SoC %) of every queued TransactionEvent."""
    out = []
    for _, action, payload in sim.outbox:
        if action != "TransactionEvent":
            continue
        values = {v["measurand"]: float(v["value"]) for v in payload["meterValue"][0]["sampledValue"]}
        out.append(
            (
                payload["eventType"],
                values["Energy.Active.Import.Register"],
                values["Power.Active.Import"],
                values["SoC"],
            )
        )
    return out


async def charge(sim: SimulatedCharger, steps: int) -> list[tuple[str, float, float, float]]:
    await sim._start("TAG-0001")
    for _ in range(steps):
        if sim.transaction_id is None or sim.drawn_power_w == 0:
            break
        await sim._charge(INTERVAL, sim.metered_at + INTERVAL)
    return readings(sim)


@pytest.mark.parametrize("seed", range(5))
async def test_an_ac_socket_charges_flat_within_its_rating(seed: int) -> None:
    sim = charger(ChargerRating(11_000.0), seed)
    events = await charge(sim, 60)
    started, first, *rest = events
    assert started[0] == "Started"
    assert first[0] == "Updated"  # right after the start, not a whole interval later
    assert first[1] == started[1]
    assert first[2] > 0  # the live view shows power at once
    powers = {power for _, _, power, _ in [first, *rest] if power > 0}
    assert len(powers) == 1  # AC: flat
    assert max(powers) <= 11_000  # never the 150 kW a DC site gives


@pytest.mark.parametrize("seed", range(5))
async def test_dc_tapers_above_80_percent_and_energy_is_power_times_time(seed: int) -> None:
    sim = charger(ChargerRating(50_000.0, dc=True), seed)
    sim.soc = 70.0
    await sim._start("TAG-0001")
    sim.soc, sim.target_soc, sim.capacity_wh = 70.0, 100.0, 60_000.0
    sim.outbox.clear()
    for _ in range(400):
        if sim.drawn_power_w == 0:
            break
        await sim._charge(INTERVAL, sim.metered_at + INTERVAL)
    events = readings(sim)
    assert all(power <= 50_000 for _, _, power, _ in events)
    below = [power for _, _, power, soc in events if soc < 79]
    above = [power for _, _, power, soc in events if 85 < soc < 100]
    assert set(below) == {50_000}
    assert above
    assert max(above) < 50_000
    assert above == sorted(above, reverse=True)  # tapering as the battery fills
    # each reading's energy is the previous reading's power over the interval (values are sent to 0.1 Wh / 0.1 W)
    for (_, before, power, _), (_, after, _, _) in itertools.pairwise(events):
        assert after - before == pytest.approx(power * INTERVAL / 3600, abs=0.2)


def test_the_demo_interval_is_realistic() -> None:
    assert 10 <= SimulatorConfig().meter_interval <= 15


def test_chargers_without_a_rating_stay_at_ac_power() -> None:
    sims: list[Any] = [
        SimulatedCharger(f"SIM-{n:05d}", SimulatorConfig(seed=n), SimulationReport(), asyncio.Semaphore(1))
        for n in range(20)
    ]
    assert {sim.rating for sim in sims} == {ChargerRating(22_000.0)}


@pytest.mark.parametrize("seed", range(3))
async def test_a_derating_charger_caps_below_its_rating_whatever_the_car_takes(seed: int) -> None:
    config = SimulatorConfig(
        ocpp_version="2.0.1",
        seed=seed,
        ratings={"SIM-00001": ChargerRating(50_000.0, dc=True)},
        derate={"SIM-00001": 20_000.0},
    )
    sim = SimulatedCharger("SIM-00001", config, SimulationReport(), asyncio.Semaphore(1))
    events = await charge(sim, 5)
    charging = [power for _, _, power, soc in events if power > 0 and soc < 80]
    assert charging
    assert set(charging) == {20_000}  # every car below 80 % would take 50 kW here
