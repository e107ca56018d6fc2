"""Every OCPP message of both versions has a home: each charger-initiated action is handled by the bridge,
and each central-system-initiated action can be sent through the admin API and is answered by the simulator."""

from __future__ import annotations

import pytest

from ocpp_bridge import codec
from ocpp_bridge.simulator import SimulatedCharger
from ocpp_bridge.v16.handlers import V16Router
from ocpp_bridge.v201.handlers import V201Router

# From the specifications: OCPP 1.6 edition 2 section 4 and the OCPP 1.6 Security Whitepaper edition 3;
# OCPP 2.0.1 part 2, the "Charging Station to CSMS" messages of blocks A to P.
CHARGER_INITIATED = {
    "1.6": {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    },
    "2.0.1": {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    },
}


def csms_initiated(version: str) -> set[str]:
    both_ways = {"DataTransfer"}
    return (set(codec.REQUESTS[version]) - CHARGER_INITIATED[version]) | both_ways


@pytest.mark.parametrize(("version", "router"), [("1.6", V16Router), ("2.0.1", V201Router)])
def test_every_charger_initiated_message_is_handled(version: str, router: type) -> None:
    handled = {name[3:] for name in dir(router) if name.startswith("on_")}
    missing = {a for a in CHARGER_INITIATED[version] if "on_" + _snake(a) not in dir(router)}
    assert not missing, f"{version}: no handler for {sorted(missing)} (handled: {sorted(handled)})"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_simulator_answers_every_central_system_message(version: str) -> None:
    missing = {a for a in csms_initiated(version) if not hasattr(SimulatedCharger, f"_command_{a}")}
    assert not missing, f"{version}: the simulator does not answer {sorted(missing)}"


def _snake(action: str) -> str:
    from ocpp_bridge.router import handler_name

    return handler_name(action)[3:]
