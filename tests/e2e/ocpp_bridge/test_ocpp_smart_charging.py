"""Smart charging over real websockets against the simulated charger, in both OCPP versions: profiles set,
replaced, refused and cleared, the composite schedule the charger computes, profile reports (2.0.1), a remote start
carrying a TxProfile, and the metered power dropping to a limit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import msgspec
import pytest

from ocpp_bridge import commands, errors
from ocpp_bridge.events import (
    ChargerBooted,
    ChargingProfilesReported,
    EVChargingNeedsNotified,
    MeterValuesReceived,
    StatusChanged,
    TransactionStarted,
    TransactionUpdated,
)
from ocpp_bridge.server import CentralSystem
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from ocpp_bridge.smart_charging import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from tests.e2e.ocpp_bridge.backend_for_tests import RecordingBackend, running_bridge

PASSWORD = "sim-password"
CHARGER = "SIM-00001"


def profile(
    profile_id: int,
    limit: float,
    *,
    purpose: str = "TxDefaultProfile",
    stack_level: int = 0,
    unit: str = "W",
    transaction_id: str | None = None,
    kind: str = "Relative",
) -> ChargingProfile:
    return ChargingProfile(
        id=profile_id,
        stack_level=stack_level,
        charging_profile_purpose=purpose,  # type: ignore[arg-type]
        charging_profile_kind=kind,  # type: ignore[arg-type]
        transaction_id=transaction_id,
        charging_schedule=(
            ChargingSchedule(
                charging_rate_unit=unit,  # type: ignore[arg-type]
                charging_schedule_period=(ChargingSchedulePeriod(start_period=0, limit=limit),),
            ),
        ),
    )


@contextlib.asynccontextmanager
async def charger(version: str, **overrides: object) -> AsyncIterator[tuple[CentralSystem, RecordingBackend]]:
    async with running_bridge(RecordingBackend(accept_prefix="SIM-", prefix_password=PASSWORD)) as (bridge, backend):
        config = SimulatorConfig(
            url=f"ws://127.0.0.1:{bridge.port}",
            chargers=1,
            ocpp_version=version,  # type: ignore[arg-type]
            password=PASSWORD,
            duration=None,
            speed=60.0,
            meter_interval=60.0,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            default_rating=overrides.pop("default_rating", SimulatorConfig().default_rating),  # type: ignore[arg-type]
            **overrides,  # type: ignore[arg-type]
        )
        simulation = Simulation(config)
        running = asyncio.create_task(simulation.run())
        try:
            await backend.wait_for(ChargerBooted)
            await backend.wait_for(StatusChanged)
            yield bridge, backend
        finally:
            simulation.request_stop()
            report = await running
            assert report.call_errors == 0


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_profiles_are_set_replaced_refused_and_cleared(version: str) -> None:
    async with charger(version) as (bridge, _backend):
        station_max = "ChargePointMaxProfile" if version == "1.6" else "ChargingStationMaxProfile"
        send = bridge.send_command
        assert (await send(CHARGER, commands.SetChargingProfile(evse_id=1, profile=profile(1, 11000)))).status == (  # type: ignore[union-attr]
            "Accepted"
        )
        # the same id replaces; another id on the same stack level and purpose replaces it too in 1.6, and is
        # refused in 2.0.1 (while their validity overlaps)
        assert (await send(CHARGER, commands.SetChargingProfile(evse_id=1, profile=profile(1, 7000)))).status == (  # type: ignore[union-attr]
            "Accepted"
        )
        other = await send(CHARGER, commands.SetChargingProfile(evse_id=1, profile=profile(2, 5000)))
        if version == "1.6":
            assert other.status == "Accepted"  # type: ignore[union-attr]
            assert (await send(CHARGER, commands.ClearChargingProfile(profile_id=1))).status == "Unknown"  # type: ignore[union-attr]
            again = await send(CHARGER, commands.SetChargingProfile(evse_id=1, profile=profile(1, 7000)))
            assert again.status == "Accepted"  # type: ignore[union-attr]
            assert (await send(CHARGER, commands.ClearChargingProfile(profile_id=2))).status == "Unknown"  # type: ignore[union-attr]
        else:
            assert other.status == "Rejected"  # type: ignore[union-attr]
        capped = profile(3, 16, purpose=station_max, unit="A")
        assert (await send(CHARGER, commands.SetChargingProfile(evse_id=0, profile=capped))).status == "Accepted"  # type: ignore[union-attr]

        composite = await send(CHARGER, commands.GetCompositeSchedule(evse_id=1, duration=3600, charging_rate_unit="W"))
        assert isinstance(composite, commands.CompositeScheduleResult)
        assert composite.status == "Accepted"
        assert composite.charging_rate_unit == "W"
        # 16 A over three phases at 230 V is 11,040 W: the TxDefaultProfile's 7,000 W is lower
        assert [p.limit for p in composite.periods] == [7000.0]

        # the bridge refuses what breaks the spec before sending it
        late_start = ChargingSchedule(
            charging_rate_unit="W", charging_schedule_period=(ChargingSchedulePeriod(start_period=60, limit=1000),)
        )
        bad = msgspec.structs.replace(profile(4, 1000), charging_schedule=(late_start,))
        with pytest.raises(errors.InvalidCommand, match="startPeriod"):
            await send(CHARGER, commands.SetChargingProfile(evse_id=1, profile=bad))

        assert (await send(CHARGER, commands.ClearChargingProfile(profile_id=1))).status == "Accepted"  # type: ignore[union-attr]
        assert (await send(CHARGER, commands.ClearChargingProfile(profile_id=1))).status == "Unknown"  # type: ignore[union-attr]
        composite = await send(CHARGER, commands.GetCompositeSchedule(evse_id=1, duration=600, charging_rate_unit="A"))
        assert [p.limit for p in composite.periods] == [16.0]  # type: ignore[union-attr]
        cleared = await send(CHARGER, commands.ClearChargingProfile(evse_id=0, purpose="ChargingStationMaxProfile"))
        assert cleared.status == "Accepted"  # type: ignore[union-attr]


async def test_a_201_charger_reports_its_profiles_in_parts() -> None:
    async with charger("2.0.1") as (bridge, backend):
        await bridge.send_command(CHARGER, commands.SetChargingProfile(evse_id=1, profile=profile(7, 9000)))
        station = profile(8, 32, purpose="ChargingStationMaxProfile", unit="A")
        await bridge.send_command(CHARGER, commands.SetChargingProfile(evse_id=0, profile=station))
        answer = await bridge.send_command(CHARGER, commands.GetChargingProfiles(request_id=55))
        assert answer.status == "Accepted"  # type: ignore[union-attr]
        parts = await backend.wait_for(ChargingProfilesReported, count=2)
        assert [(p.evse_id, p.to_be_continued) for p in parts] == [(0, True), (1, False)]
        assert {p.request_id for p in parts} == {55}
        assert [pr.id for part in parts for pr in part.profiles] == [8, 7]
        none = await bridge.send_command(CHARGER, commands.GetChargingProfiles(request_id=56, profile_ids=(99,)))
        assert none.status == "NoProfiles"  # type: ignore[union-attr]


async def test_a_16_charger_cannot_be_asked_for_its_profiles() -> None:
    async with charger("1.6") as (bridge, _backend):
        with pytest.raises(errors.InvalidCommand, match=r"1\.6 has no GetChargingProfiles"):
            await bridge.send_command(CHARGER, commands.GetChargingProfiles(request_id=1))


def _power(event: MeterValuesReceived | TransactionUpdated) -> float | None:
    powers = [s.power_w for s in event.samples if s.power_w is not None]
    return powers[-1] if powers else None


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_remote_start_with_a_tx_profile_charges_at_its_limit_and_a_new_limit_lowers_the_power(
    version: str,
) -> None:
    async with charger(version, ev_charging_needs=True) as (bridge, backend):
        tx_profile = profile(20, 4000, purpose="TxProfile")
        started = await bridge.send_command(
            CHARGER, commands.RemoteStart(id_token="APP-7", connector_id=1, charging_profile=tx_profile)
        )
        assert started.status == "Accepted"  # type: ignore[union-attr]
        [begun] = await backend.wait_for(TransactionStarted)
        metered: type[MeterValuesReceived] | type[TransactionUpdated] = (
            MeterValuesReceived if version == "1.6" else TransactionUpdated
        )
        [first] = await backend.wait_for(metered, lambda e: _power(e) is not None)
        assert _power(first) == pytest.approx(4000, abs=1)
        transaction_id = begun.transaction_id or next(iter(backend.transactions))

        lower = profile(21, 2500, purpose="TxProfile", stack_level=1, transaction_id=transaction_id)
        assert (await bridge.send_command(CHARGER, commands.SetChargingProfile(evse_id=1, profile=lower))).status == (  # type: ignore[union-attr]
            "Accepted"
        )
        await backend.wait_for(metered, lambda e: _power(e) == pytest.approx(2500, abs=1))
        if version == "2.0.1":
            [needs] = await backend.wait_for(EVChargingNeedsNotified)
            assert needs.evse_id == 1
            assert needs.energy_amount_wh is not None
            assert needs.departure_time is not None
