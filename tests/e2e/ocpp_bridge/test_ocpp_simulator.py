"""The simulator drives the real server over real websockets: boots, charging sessions, commands, reconnects."""

from __future__ import annotations

import asyncio

import pytest

from ocpp_bridge import commands
from ocpp_bridge.events import (
    ChargerBooted,
    MeterValuesReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from ocpp_bridge.simulator import Simulation, SimulatorConfig, charger_ids, run_simulation
from tests.e2e.ocpp_bridge.backend_for_tests import RecordingBackend, running_bridge

PASSWORD = "sim-password"


def sim_backend() -> RecordingBackend:
    return RecordingBackend(accept_prefix="SIM-", prefix_password=PASSWORD)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulated_chargers_produce_transactions(version: str) -> None:
    async with running_bridge(sim_backend()) as (bridge, backend):
        config = SimulatorConfig(
            url=f"ws://127.0.0.1:{bridge.port}/ocpp",
            chargers=3,
            ocpp_version=version,  # type: ignore[arg-type]
            password=PASSWORD,
            duration=2.0,
            seed=7,
            speed=1200.0,
            meter_interval=60.0,
            arrival_rate=60.0,
            fault_rate=1.0,
            disconnect_rate=2.0,
        )
        report = await run_simulation(config)
        assert report.boots >= 3
        assert report.transactions_started >= 3
        assert report.messages_sent > 30
        assert report.call_errors == 0
        assert {e.charger_id for e in backend.of_type(ChargerBooted)} == set(charger_ids(config))
        assert len(backend.of_type(TransactionStarted)) >= 3
        samples = backend.of_type(MeterValuesReceived) if version == "1.6" else backend.of_type(TransactionUpdated)
        assert samples
        assert all(s.energy_wh is not None for e in samples for s in e.samples)
        assert backend.of_type(StatusChanged)
        if report.transactions_completed:
            assert backend.of_type(TransactionEnded) or report.replayed


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulated_charger_accepts_remote_start_and_stop(version: str) -> None:
    async with running_bridge(sim_backend()) as (bridge, backend):
        config = SimulatorConfig(
            url=f"ws://127.0.0.1:{bridge.port}",
            chargers=2,
            ocpp_version=version,  # type: ignore[arg-type]
            password=PASSWORD,
            duration=None,
            speed=600.0,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
        )
        simulation = Simulation(config)
        running = asyncio.create_task(simulation.run())
        try:
            await backend.wait_for(ChargerBooted, count=2)
            target = "SIM-00002"
            await backend.wait_for(StatusChanged, lambda e: e.charger_id == target)
            started = await bridge.send_command(target, commands.RemoteStart(id_token="APP-42", connector_id=1))
            assert started.status == "Accepted"  # type: ignore[union-attr]
            [begun] = await backend.wait_for(TransactionStarted, lambda e: e.charger_id == target)
            assert begun.id_token is not None
            assert begun.id_token.id_token == "APP-42"
            transaction_id = begun.transaction_id or next(
                tid for tid, t in backend.transactions.items() if t["charger_id"] == target
            )
            configuration = await bridge.send_command(target, commands.GetConfiguration(keys=("HeartbeatInterval",)))
            assert isinstance(configuration, commands.ConfigurationResult)
            stopped = await bridge.send_command(target, commands.RemoteStop(transaction_id=transaction_id))
            assert stopped.status == "Accepted"  # type: ignore[union-attr]
            [ended] = await backend.wait_for(TransactionEnded, lambda e: e.charger_id == target)
            assert ended.reason == "Remote"
            assert ended.meter_stop_wh is not None
        finally:
            simulation.request_stop()
            report = await running
        assert report.remote_starts == 1
        assert report.transactions_completed == 1
