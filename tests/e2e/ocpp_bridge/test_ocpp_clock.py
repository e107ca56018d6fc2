"""What the central system does for chargers' clocks: it tells the time in every BootNotification and Heartbeat
answer (1.6 and 2.0.1), and a 2.0.1 charger's time source and NTP server can be set with SetVariables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_bridge import commands
from tests.e2e.ocpp_bridge.backend_for_tests import running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger

BOOT = {
    "1.6": {"chargePointVendor": "Voltway", "chargePointModel": "VW-22"},
    "2.0.1": {"chargingStation": {"vendorName": "Voltway", "model": "VW-22"}, "reason": "PowerUp"},
}


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_boot_and_heartbeat_answers_tell_the_current_time(version: str) -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, f"CP-TIME-{version}", version) as cp:
        before = datetime.now(UTC)
        boot = await cp.call("BootNotification", BOOT[version])
        heartbeat = await cp.call("Heartbeat", {})
        after = datetime.now(UTC)
    for answer in (boot, heartbeat):
        told = parse(answer["currentTime"])
        assert told.utcoffset() == timedelta(0)  # UTC, so a charger without zone rules sets itself right
        assert before - timedelta(seconds=1) <= told <= after + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("key", "value"),
    [("ClockCtrlr.TimeSource", "NTP,Heartbeat"), ("ClockCtrlr.NtpServerUri", "pool.ntp.org")],
)
async def test_a_201_chargers_time_source_is_set_with_set_variables(key: str, value: str) -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-NTP", "2.0.1") as cs:
        result = await bridge.send_command("CP-NTP", commands.ChangeConfiguration(key=key, value=value))
        assert result == commands.StatusResult(status="Accepted")
    component, variable = key.split(".")
    assert cs.received_commands == [
        (
            "SetVariables",
            {
                "setVariableData": [
                    {"attributeValue": value, "component": {"name": component}, "variable": {"name": variable}}
                ]
            },
        )
    ]
