"""OCPP 2.0.1 end to end: charger messages to events (normalised like 1.6), commands to typed results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ocpp_bridge import commands, errors
from ocpp_bridge.events import (
    AuthorizationRequested,
    ChargerBooted,
    DiagnosticsStatusChanged,
    EventsNotified,
    FirmwareStatusChanged,
    HeartbeatReceived,
    MeterValuesReceived,
    ReportReceived,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from tests.e2e.ocpp_bridge.backend_for_tests import running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger


def transaction_event(event_type: str, seq_no: int, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "timestamp": extra.pop("timestamp", "2026-11-27T09:00:00Z"),
        "triggerReason": extra.pop("triggerReason", "Authorized"),
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": "TX-201-1", **extra.pop("transactionInfo", {})},
        **extra,
    }


def energy(value: float, unit: str = "Wh", multiplier: int = 0, **fields: Any) -> dict[str, Any]:
    return {"value": value, "unitOfMeasure": {"unit": unit, "multiplier": multiplier}, **fields}


async def test_charging_session_messages_become_events() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-201-A", "2.0.1") as cs:
        boot = await cs.call(
            "BootNotification",
            {
                "chargingStation": {"vendorName": "Voltway", "model": "VW-50", "serialNumber": "S-1"},
                "reason": "PowerUp",
            },
        )
        assert boot["status"] == "Accepted"
        booted = backend.of_type(ChargerBooted)[0]
        assert (booted.vendor, booted.model, booted.serial_number, booted.reason) == (
            "Voltway",
            "VW-50",
            "S-1",
            "PowerUp",
        )
        await cs.call("Heartbeat", {})
        assert backend.of_type(HeartbeatReceived)[0].ocpp_version == "2.0.1"

        await cs.call(
            "StatusNotification",
            {"timestamp": "2026-11-27T08:59:00Z", "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1},
        )
        status = backend.of_type(StatusChanged)[0]
        assert (status.connector_id, status.evse_connector_id, status.status) == (1, 1, "Occupied")

        auth = await cs.call("Authorize", {"idToken": {"idToken": "RFID-9", "type": "ISO14443"}})
        assert auth["idTokenInfo"]["status"] == "Accepted"
        assert backend.of_type(AuthorizationRequested)[0].id_token.token_type == "ISO14443"

        started = await cs.call(
            "TransactionEvent",
            transaction_event(
                "Started",
                0,
                evse={"id": 1, "connectorId": 1},
                idToken={"idToken": "RFID-9", "type": "ISO14443"},
                transactionInfo={"chargingState": "Charging"},
                meterValue=[
                    {
                        "timestamp": "2026-11-27T09:00:00Z",
                        "sampledValue": [energy(1.5, "kWh", context="Transaction.Begin")],
                    }
                ],
            ),
        )
        assert started["idTokenInfo"]["status"] == "Accepted"
        start_event = backend.of_type(TransactionStarted)[0]
        assert start_event.transaction_id == "TX-201-1"
        assert start_event.meter_start_wh == 1500.0
        assert start_event.connector_id == 1
        assert start_event.charging_state == "Charging"

        updated = await cs.call(
            "TransactionEvent",
            transaction_event(
                "Updated",
                1,
                timestamp="2026-11-27T09:10:00Z",
                triggerReason="MeterValuePeriodic",
                meterValue=[
                    {
                        "timestamp": "2026-11-27T09:10:00Z",
                        "sampledValue": [
                            energy(3, "kWh"),
                            {"value": 11, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "kW"}},
                            {
                                "value": 3.7,
                                "measurand": "Power.Active.Import",
                                "phase": "L1",
                                "unitOfMeasure": {"unit": "W", "multiplier": 3},
                            },
                            {"value": 55, "measurand": "SoC", "unitOfMeasure": {"unit": "Percent"}},
                        ],
                    }
                ],
            ),
        )
        assert updated == {}
        update_event = backend.of_type(TransactionUpdated)[0]
        assert update_event.samples[0].energy_wh == 3000.0
        assert update_event.samples[0].power_w == 11000.0
        assert update_event.samples[0].soc_percent == 55.0
        assert update_event.trigger_reason == "MeterValuePeriodic"

        await cs.call(
            "MeterValues",
            {"evseId": 1, "meterValue": [{"timestamp": "2026-11-27T09:11:00Z", "sampledValue": [{"value": 3100}]}]},
        )
        assert backend.of_type(MeterValuesReceived)[0].samples[0].energy_wh == 3100.0

        await cs.call(
            "TransactionEvent",
            transaction_event(
                "Ended",
                2,
                timestamp="2026-11-27T09:40:00Z",
                triggerReason="EVCommunicationLost",
                transactionInfo={"stoppedReason": "EVDisconnected"},
                meterValue=[
                    {
                        "timestamp": "2026-11-27T09:40:00Z",
                        "sampledValue": [energy(8.25, "kWh", context="Transaction.End")],
                    }
                ],
            ),
        )
        ended = backend.of_type(TransactionEnded)[0]
        assert ended.meter_stop_wh == 8250.0
        assert ended.reason == "EVDisconnected"
        assert ended.seq_no == 2
        assert ended.timestamp == datetime(2026, 11, 27, 9, 40, tzinfo=UTC)

        await cs.call(
            "SecurityEventNotification",
            {"type": "FirmwareUpdated", "timestamp": "2026-11-27T09:41:00Z", "techInfo": "1.3"},
        )
        await cs.call("FirmwareStatusNotification", {"status": "Installed", "requestId": 4})
        await cs.call("LogStatusNotification", {"status": "Uploaded", "requestId": 5})
        assert backend.of_type(SecurityEventReceived)[0].tech_info == "1.3"
        assert backend.of_type(FirmwareStatusChanged)[0].request_id == 4
        assert backend.of_type(DiagnosticsStatusChanged)[0].request_id == 5

        await cs.call(
            "NotifyEvent",
            {
                "generatedAt": "2026-11-27T09:42:00Z",
                "seqNo": 0,
                "eventData": [
                    {
                        "eventId": 1,
                        "timestamp": "2026-11-27T09:42:00Z",
                        "trigger": "Delta",
                        "actualValue": "Faulted",
                        "techCode": "E42",
                        "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                        "variable": {"name": "AvailabilityState"},
                        "eventNotificationType": "HardWiredNotification",
                    }
                ],
            },
        )
        notified = backend.of_type(EventsNotified)[0].events[0]
        assert (notified.component, notified.actual_value, notified.evse_id, notified.tech_code) == (
            "Connector",
            "Faulted",
            1,
            "E42",
        )

        await cs.call(
            "NotifyReport",
            {
                "requestId": 9,
                "generatedAt": "2026-11-27T09:43:00Z",
                "seqNo": 0,
                "reportData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
                    }
                ],
            },
        )
        report = backend.of_type(ReportReceived)[0]
        assert report.variables[0].value == "300"
        assert report.variables[0].mutability == "ReadWrite"

        transfer = await cs.call("DataTransfer", {"vendorId": "com.voltway", "data": {"nested": [1, 2]}})
        assert transfer == {"status": "Accepted", "data": "pong"}


COMMAND_CASES = [
    (
        commands.RemoteStart(id_token="APP-1", connector_id=1, remote_start_id=77),
        "RequestStartTransaction",
        {"idToken": {"idToken": "APP-1", "type": "Central"}, "evseId": 1, "remoteStartId": 77},
        commands.RemoteStartResult(status="Accepted", transaction_id="tx-remote-1"),
    ),
    (
        commands.RemoteStop(transaction_id="TX-201-1"),
        "RequestStopTransaction",
        {"transactionId": "TX-201-1"},
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.Unlock(connector_id=2),
        "UnlockConnector",
        {"evseId": 2, "connectorId": 1},
        commands.StatusResult(status="Unlocked"),
    ),
    (commands.Reset(kind="Hard"), "Reset", {"type": "Immediate"}, commands.StatusResult(status="Scheduled")),
    (
        commands.TriggerMessage(message="DiagnosticsStatusNotification"),
        "TriggerMessage",
        {"requestedMessage": "LogStatusNotification"},
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.ChangeAvailability(operational=True, connector_id=1),
        "ChangeAvailability",
        {"operationalStatus": "Operative", "evse": {"id": 1}},
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.GetConfiguration(keys=("HeartbeatInterval", "TxCtrlr.Nope")),
        "GetVariables",
        {
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": {"name": "TxCtrlr"}, "variable": {"name": "Nope"}},
            ]
        },
        commands.ConfigurationResult(
            values=(commands.ConfigurationValue(key="OCPPCommCtrlr.HeartbeatInterval", value="300"),),
            unknown_keys=("TxCtrlr.Nope",),
        ),
    ),
    (
        commands.ChangeConfiguration(key="OCPPCommCtrlr.HeartbeatInterval", value="60"),
        "SetVariables",
        {
            "setVariableData": [
                {
                    "attributeValue": "60",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        },
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.GetDiagnostics(location="https://logs.example/up", request_id=3),
        "GetLog",
        {"log": {"remoteLocation": "https://logs.example/up"}, "logType": "DiagnosticsLog", "requestId": 3},
        commands.DiagnosticsResult(status="Accepted", file_name="log-2026.tar"),
    ),
    (
        commands.UpdateFirmware(
            location="https://fw.example/2.0.bin", retrieve_date=datetime(2026, 12, 1, tzinfo=UTC), request_id=8
        ),
        "UpdateFirmware",
        {
            "requestId": 8,
            "firmware": {"location": "https://fw.example/2.0.bin", "retrieveDateTime": "2026-12-01T00:00:00Z"},
        },
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.ReserveNow(
            reservation_id=7, id_token="APP-2", expiry_date=datetime(2026, 12, 1, 10, tzinfo=UTC), connector_id=1
        ),
        "ReserveNow",
        {
            "id": 7,
            "expiryDateTime": "2026-12-01T10:00:00Z",
            "idToken": {"idToken": "APP-2", "type": "Central"},
            "evseId": 1,
        },
        commands.StatusResult(status="Occupied"),
    ),
    (
        commands.CancelReservation(reservation_id=7),
        "CancelReservation",
        {"reservationId": 7},
        commands.StatusResult(status="Accepted"),
    ),
    (commands.ClearCache(), "ClearCache", {}, commands.StatusResult(status="Rejected", reason="NoCache")),
]


@pytest.mark.parametrize(
    ("request_", "action", "payload", "expected"), COMMAND_CASES, ids=[case[1] for case in COMMAND_CASES]
)
async def test_commands(
    request_: commands.CommandRequest, action: str, payload: dict[str, object], expected: commands.CommandResult
) -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-201-CMD", "2.0.1") as cs:
        result = await bridge.send_command("CP-201-CMD", request_)
        assert result == expected
        assert cs.received_commands == [(action, payload)]


async def test_get_configuration_without_keys_is_refused_for_201() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-201-CFG", "2.0.1") as cs:
        with pytest.raises(errors.InvalidCommand):
            await bridge.send_command("CP-201-CFG", commands.GetConfiguration())
        assert cs.received_commands == []
