"""Every registry command translates to a schema-valid Call in both OCPP versions and reads both versions' answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest
from ocpp.messages import Call as LibraryCall
from ocpp.messages import _validate_payload

from ocpp_bridge import codec, commands, errors

WHEN = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)

REQUESTS: list[commands.CommandRequest] = [
    commands.RemoteStart(id_token="APP-1", connector_id=1),
    commands.RemoteStart(id_token="APP-1"),
    commands.RemoteStop(transaction_id="42"),
    commands.Unlock(connector_id=1),
    commands.Reset(kind="Soft"),
    commands.Reset(kind="Hard"),
    commands.TriggerMessage(message="Heartbeat"),
    commands.TriggerMessage(message="StatusNotification", connector_id=2),
    commands.TriggerMessage(message="DiagnosticsStatusNotification"),
    commands.ChangeAvailability(operational=False),
    commands.ChangeAvailability(operational=True, connector_id=2),
    commands.GetConfiguration(keys=("HeartbeatInterval",)),
    commands.ChangeConfiguration(key="HeartbeatInterval", value="120"),
    commands.GetDiagnostics(
        location="https://up.example", start_time=WHEN, stop_time=WHEN, retries=2, retry_interval=30
    ),
    commands.UpdateFirmware(location="https://fw.example/f.bin", retrieve_date=WHEN, retries=1),
    commands.ReserveNow(reservation_id=1, id_token="APP-1", expiry_date=WHEN, connector_id=1, parent_id_token="GROUP"),
    commands.ReserveNow(reservation_id=2, id_token="APP-1", expiry_date=WHEN),
    commands.CancelReservation(reservation_id=1),
    commands.ClearCache(),
    commands.SendLocalList(
        version=3,
        update_type="Full",
        entries=(
            commands.LocalListEntry(id_token="04A1B2C3", status="Accepted", expiry_date=WHEN, group_id="FLEET-1"),
            commands.LocalListEntry(id_token="04A1B2C4", id_token_type="RFID", status="NoCredit"),
        ),
    ),
    commands.SendLocalList(
        version=4, update_type="Differential", entries=(commands.LocalListEntry(id_token="X", status=None),)
    ),
    commands.SendLocalList(version=5),
    commands.GetLocalListVersion(),
]

EXPECTED_NAMES = {
    "remote-start",
    "remote-stop",
    "unlock",
    "reset",
    "trigger-message",
    "change-availability",
    "get-configuration",
    "change-configuration",
    "get-diagnostics",
    "update-firmware",
    "reserve-now",
    "cancel-reservation",
    "clear-cache",
    "set-charging-profile",
    "clear-charging-profile",
    "get-composite-schedule",
    "get-charging-profiles",
    "install-certificate",
    "get-installed-certificate-ids",
    "delete-certificate",
    "certificate-signed",
    # device model, monitoring, logs, customer information, display messages, firmware publishing
    "get-base-report",
    "get-report",
    "get-variables",
    "set-variables",
    "set-network-profile",
    "get-transaction-status",
    "set-variable-monitoring",
    "clear-variable-monitoring",
    "set-monitoring-base",
    "set-monitoring-level",
    "get-monitoring-report",
    "get-log",
    "customer-information",
    "set-display-message",
    "get-display-messages",
    "clear-display-message",
    "publish-firmware",
    "unpublish-firmware",
    "signed-update-firmware",
    "extended-trigger-message",
    "send-local-list",
    "get-local-list-version",
    "ocpp-call",
}


def test_registry_names_are_stable() -> None:
    assert set(commands.COMMANDS) == EXPECTED_NAMES
    assert set(commands.command_names()) == EXPECTED_NAMES


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: type(r).__name__)
def test_translation_is_valid_for_the_library_schemas(request_: commands.CommandRequest, version: str) -> None:
    spec = commands.spec_for(request_)
    action, payload = spec.translate(request_, version)
    wire = json.loads(codec.encode(payload))
    _validate_payload(LibraryCall("1", action, wire), version)
    assert codec.decode_payload(codec.encode(payload), type(payload)) is not None


@pytest.mark.parametrize(
    ("name", "version", "response", "expected"),
    [
        ("remote-start", "1.6", {"status": "Rejected"}, commands.RemoteStartResult(status="Rejected")),
        (
            "remote-start",
            "2.0.1",
            {"status": "Accepted", "transactionId": "T9"},
            commands.RemoteStartResult(status="Accepted", transaction_id="T9"),
        ),
        ("get-diagnostics", "1.6", {}, commands.DiagnosticsResult(status="Accepted")),
        ("get-diagnostics", "2.0.1", {"status": "Rejected"}, commands.DiagnosticsResult(status="Rejected")),
        ("get-configuration", "1.6", {}, commands.ConfigurationResult()),
        (
            "change-configuration",
            "2.0.1",
            {
                "setVariableResult": [
                    {"attributeStatus": "RebootRequired", "component": {"name": "C"}, "variable": {"name": "V"}}
                ]
            },
            commands.StatusResult(status="RebootRequired"),
        ),
        ("update-firmware", "1.6", {}, commands.StatusResult(status="Accepted")),
        (
            "reset",
            "2.0.1",
            {"status": "Rejected", "statusInfo": {"reasonCode": "Busy"}},
            commands.StatusResult(status="Rejected", reason="Busy"),
        ),
    ],
)
def test_results_are_read_per_version(
    name: str, version: str, response: dict[str, object], expected: commands.CommandResult
) -> None:
    spec = commands.COMMANDS[name]
    example = next(r for r in REQUESTS if isinstance(r, spec.request_type))
    action, _payload = spec.translate(example, version)
    decoded = codec.decode_payload(json.dumps(response), codec.RESPONSES[version][action])
    assert spec.read_result(decoded, version) == expected


def test_requests_and_results_cross_processes_as_tagged_json() -> None:
    for request in REQUESTS:
        wire = commands.encode_request(request)
        assert json.loads(wire)["command"] == commands.spec_for(request).name
        assert commands.decode_request(wire) == request
    result = commands.ConfigurationResult(values=(commands.ConfigurationValue(key="K", value="1"),))
    assert commands.decode_result(commands.encode_result(result)) == result
    with pytest.raises(errors.InvalidCommand):
        commands.decode_request(b'{"command": "self-destruct"}')


def test_request_from_admin_arguments() -> None:
    request = commands.request_from_arguments("remote-start", b'{"id_token": "APP-7", "connector_id": 2}')
    assert request == commands.RemoteStart(id_token="APP-7", connector_id=2)
    assert commands.request_from_arguments("clear-cache", b"") == commands.ClearCache()
    with pytest.raises(errors.UnknownCommand):
        commands.request_from_arguments("launch", b"{}")
    with pytest.raises(errors.InvalidCommand):
        commands.request_from_arguments("unlock", b'{"connector_id": "one"}')


def test_versions_limits_become_invalid_command() -> None:
    with pytest.raises(errors.InvalidCommand):
        commands.spec_for(commands.RemoteStop(transaction_id="abc")).translate(
            commands.RemoteStop(transaction_id="abc"), "1.6"
        )
    with pytest.raises(errors.InvalidCommand):
        commands.COMMANDS["change-configuration"].translate(
            commands.ChangeConfiguration(key="NoDot", value="1"), "2.0.1"
        )
    _action, payload = commands.COMMANDS["remote-start"].translate(commands.RemoteStart(id_token="X" * 21), "1.6")
    with pytest.raises(errors.OcppCallError):
        codec.decode_payload(msgspec.json.encode(payload), type(payload))
