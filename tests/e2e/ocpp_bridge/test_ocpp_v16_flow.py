"""OCPP 1.6J end to end: every charger-initiated message becomes the right event and answer, every command
reaches the charger and comes back as a typed result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ocpp_bridge import commands, errors
from ocpp_bridge.events import (
    AuthorizationRequested,
    ChargerBooted,
    DataTransferReceived,
    DiagnosticsStatusChanged,
    FirmwareStatusChanged,
    HeartbeatReceived,
    IdTokenInfo,
    MeterValuesReceived,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
)
from tests.e2e.ocpp_bridge.backend_for_tests import TEST_PASSWORD, RecordingBackend, running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import ChargerError, charger


async def test_charging_session_messages_become_events() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-16-A") as cp:
        boot = await cp.call(
            "BootNotification",
            {"chargePointVendor": "Voltway", "chargePointModel": "VW-22", "firmwareVersion": "1.2.3"},
        )
        assert boot["status"] == "Accepted"
        assert boot["interval"] == bridge.config.heartbeat_interval
        booted = backend.of_type(ChargerBooted)[0]
        assert (booted.vendor, booted.model, booted.firmware_version) == ("Voltway", "VW-22", "1.2.3")
        assert booted.ocpp_version == "1.6"

        heartbeat = await cp.call("Heartbeat", {})
        assert heartbeat["currentTime"].endswith(("Z", "+00:00"))
        assert backend.of_type(HeartbeatReceived)

        await cp.call(
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Preparing",
                "timestamp": "2026-11-27T10:00:00+01:00",
            },
        )
        status = backend.of_type(StatusChanged)[0]
        assert (status.connector_id, status.status, status.error_code) == (1, "Preparing", "NoError")
        assert status.timestamp == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

        auth = await cp.call("Authorize", {"idTag": "RFID-1"})
        assert auth["idTagInfo"]["status"] == "Accepted"
        assert backend.of_type(AuthorizationRequested)[0].id_token.id_token == "RFID-1"

        started = await cp.call(
            "StartTransaction",
            {"connectorId": 1, "idTag": "RFID-1", "meterStart": 12000, "timestamp": "2026-11-27T09:01:00Z"},
        )
        transaction_id = started["transactionId"]
        assert started["idTagInfo"]["status"] == "Accepted"
        start_event = backend.of_type(TransactionStarted)[0]
        assert start_event.meter_start_wh == 12000.0
        assert start_event.transaction_id is None

        await cp.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [
                    {
                        "timestamp": "2026-11-27T09:02:00Z",
                        "sampledValue": [
                            {"value": "12.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                            {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"},
                            {"value": "41", "measurand": "SoC", "unit": "Percent", "location": "EV"},
                            {"value": "32", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                            {"value": "31", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
                            {"value": "230", "measurand": "Voltage", "unit": "V"},
                        ],
                    },
                    {"timestamp": "2026-11-27T09:03:00Z", "sampledValue": [{"value": "12600"}]},
                ],
            },
        )
        meter = backend.of_type(MeterValuesReceived)[0]
        assert meter.transaction_id == str(transaction_id)
        first, second = meter.samples
        assert first.energy_wh == 12500.0
        assert first.power_w == 7400.0
        assert first.soc_percent == 41.0
        assert first.current_a == 32.0
        assert first.voltage_v == 230.0
        assert second.energy_wh == 12600.0

        stopped = await cp.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": "RFID-1",
                "meterStop": 19000,
                "timestamp": "2026-11-27T09:30:00Z",
                "reason": "EVDisconnected",
                "transactionData": [
                    {
                        "timestamp": "2026-11-27T09:30:00Z",
                        "sampledValue": [{"value": "19", "unit": "kWh", "context": "Transaction.End"}],
                    }
                ],
            },
        )
        assert stopped["idTagInfo"]["status"] == "Accepted"
        ended = backend.of_type(TransactionEnded)[0]
        assert ended.transaction_id == str(transaction_id)
        assert ended.meter_stop_wh == 19000.0
        assert ended.reason == "EVDisconnected"
        assert ended.samples[0].energy_wh == 19000.0
        assert ended.samples[0].context == "Transaction.End"
        assert backend.transactions[str(transaction_id)]["meter_stop_wh"] == 19000.0

        transfer = await cp.call("DataTransfer", {"vendorId": "com.voltway", "messageId": "ping", "data": "x"})
        assert transfer == {"status": "Accepted", "data": "pong"}
        assert backend.of_type(DataTransferReceived)[0].data_message_id == "ping"
        unknown_vendor = await cp.call("DataTransfer", {"vendorId": "com.other"})
        assert unknown_vendor == {"status": "UnknownVendorId"}

        assert await cp.call("DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}
        assert await cp.call("FirmwareStatusNotification", {"status": "Installed"}) == {}
        assert backend.of_type(DiagnosticsStatusChanged)[0].status == "Uploaded"
        assert backend.of_type(FirmwareStatusChanged)[0].status == "Installed"

        await cp.call("SecurityEventNotification", {"type": "SettingSystemTime", "timestamp": "2026-11-27T09:31:00Z"})
        assert backend.of_type(SecurityEventReceived)[0].kind == "SettingSystemTime"

        message_ids = [e.message_id for e in backend.events if hasattr(e, "message_id")]
        assert len(message_ids) == len(set(message_ids))


async def test_blocked_token_and_rejected_boot() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-16-B") as cp:
        backend.boot_status = "Pending"
        boot = await cp.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        assert boot["status"] == "Pending"
        backend.blocked_tokens.add("STOLEN")
        auth = await cp.call("Authorize", {"idTag": "STOLEN"})
        assert auth["idTagInfo"]["status"] == "Blocked"


COMMAND_CASES = [
    (
        commands.RemoteStart(id_token="APP-1", connector_id=1),
        "RemoteStartTransaction",
        {"idTag": "APP-1", "connectorId": 1},
        commands.RemoteStartResult(status="Accepted"),
    ),
    (
        commands.RemoteStop(transaction_id="42"),
        "RemoteStopTransaction",
        {"transactionId": 42},
        commands.StatusResult(status="Accepted"),
    ),
    (commands.Unlock(connector_id=2), "UnlockConnector", {"connectorId": 2}, commands.StatusResult(status="Unlocked")),
    (commands.Reset(kind="Hard"), "Reset", {"type": "Hard"}, commands.StatusResult(status="Accepted")),
    (
        commands.TriggerMessage(message="StatusNotification", connector_id=1),
        "TriggerMessage",
        {"requestedMessage": "StatusNotification", "connectorId": 1},
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.ChangeAvailability(operational=False, connector_id=1),
        "ChangeAvailability",
        {"connectorId": 1, "type": "Inoperative"},
        commands.StatusResult(status="Scheduled"),
    ),
    (
        commands.GetConfiguration(keys=("HeartbeatInterval", "Nope")),
        "GetConfiguration",
        {"key": ["HeartbeatInterval", "Nope"]},
        commands.ConfigurationResult(
            values=(commands.ConfigurationValue(key="HeartbeatInterval", value="300", readonly=False),),
            unknown_keys=("Nope",),
        ),
    ),
    (
        commands.ChangeConfiguration(key="HeartbeatInterval", value="60"),
        "ChangeConfiguration",
        {"key": "HeartbeatInterval", "value": "60"},
        commands.StatusResult(status="RebootRequired"),
    ),
    (
        commands.GetDiagnostics(location="ftp://diag.example/upload"),
        "GetDiagnostics",
        {"location": "ftp://diag.example/upload"},
        commands.DiagnosticsResult(status="Accepted", file_name="diag-2026.zip"),
    ),
    (
        commands.UpdateFirmware(location="https://fw.example/1.3.bin", retrieve_date=datetime(2026, 12, 1, tzinfo=UTC)),
        "UpdateFirmware",
        {"location": "https://fw.example/1.3.bin", "retrieveDate": "2026-12-01T00:00:00Z"},
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.ReserveNow(
            reservation_id=7, id_token="APP-2", expiry_date=datetime(2026, 12, 1, 10, tzinfo=UTC), connector_id=1
        ),
        "ReserveNow",
        {"connectorId": 1, "expiryDate": "2026-12-01T10:00:00Z", "idTag": "APP-2", "reservationId": 7},
        commands.StatusResult(status="Accepted"),
    ),
    (
        commands.CancelReservation(reservation_id=7),
        "CancelReservation",
        {"reservationId": 7},
        commands.StatusResult(status="Rejected"),
    ),
    (commands.ClearCache(), "ClearCache", {}, commands.StatusResult(status="Accepted")),
]


@pytest.mark.parametrize(
    ("request_", "action", "payload", "expected"),
    COMMAND_CASES,
    ids=[case[1] for case in COMMAND_CASES],
)
async def test_commands(
    request_: commands.CommandRequest, action: str, payload: dict[str, object], expected: commands.CommandResult
) -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-16-CMD") as cp:
        result = await bridge.send_command("CP-16-CMD", request_)
        assert result == expected
        assert cp.received_commands == [(action, payload)]


async def test_charger_call_error_and_invalid_result_are_command_errors() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-16-ERR") as cp:
        cp.answers["Reset"] = [4, "NotSupported", "no resets here", {}]
        with pytest.raises(errors.CommandRejected) as rejected:
            await bridge.send_command("CP-16-ERR", commands.Reset())
        assert rejected.value.code == "NotSupported"
        cp.answers["ClearCache"] = {"status": "Maybe"}
        with pytest.raises(errors.InvalidCommandResult):
            await bridge.send_command("CP-16-ERR", commands.ClearCache())
        with pytest.raises(errors.InvalidCommand):
            await bridge.send_command("CP-16-ERR", commands.RemoteStop(transaction_id="not-a-number"))
        with pytest.raises(errors.InvalidCommand):
            await bridge.send_command("CP-16-ERR", commands.RemoteStart(id_token="X" * 21))
        # the connection still serves after all of that
        assert (await cp.call("Heartbeat", {}))["currentTime"]


async def test_call_error_from_backend_is_internal_error_and_connection_survives() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-16-INT") as cp:
        backend.failing.add("HeartbeatReceived")
        with pytest.raises(ChargerError) as failure:
            await cp.call("Heartbeat", {})
        assert failure.value.code == "InternalError"
        backend.failing.clear()
        assert (await cp.call("Heartbeat", {}))["currentTime"]


class OverlongParentBackend(RecordingBackend):
    async def on_authorization_requested(self, event: AuthorizationRequested) -> IdTokenInfo:
        return IdTokenInfo(status="Accepted", parent_id_token="P" * 30)


async def test_backend_reply_that_breaks_the_schema_becomes_internal_error() -> None:
    backend = OverlongParentBackend(accept_prefix="CP-", prefix_password=TEST_PASSWORD)
    async with running_bridge(backend) as (bridge, _), charger(bridge.port, "CP-16-LONG") as cp:
        with pytest.raises(ChargerError) as failure:
            await cp.call("Authorize", {"idTag": "RFID-1"})
        assert failure.value.code == "InternalError"
