"""Device model, monitoring, logs, customer information, display messages and firmware commands: every translation
validates against the official schemas, 2.0.1-only commands are refused for 1.6 chargers with a readable reason,
and GetVariables / SetVariables are split by the charger's item and byte limits, in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from ocpp.messages import Call as LibraryCall
from ocpp.messages import _validate_payload

from ocpp_bridge import codec, commands, errors
from ocpp_bridge.device_model import (
    ComponentVariable,
    CustomerCertificate,
    MonitorSetting,
    NetworkProfile,
    VariableSetting,
    get_variables_payload,
    set_variables_payload,
    split,
)

WHEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EVSE_POWER = ComponentVariable(component="EVSE", variable="Power", evse_id=1, attribute_type="MaxSet")

BOTH_VERSIONS: list[commands.CommandRequest] = [
    commands.GetLog(remote_location="https://logs.example/up", request_id=7, log_type="SecurityLog"),
    commands.GetLog(
        remote_location="https://logs.example/up",
        request_id=8,
        oldest_timestamp=WHEN,
        latest_timestamp=WHEN,
        retries=2,
        retry_interval=30,
    ),
    commands.SignedUpdateFirmware(
        location="https://fw.example/f.bin",
        retrieve_date=WHEN,
        signing_certificate="-----BEGIN CERTIFICATE-----",
        signature="c2lnbmF0dXJl",
        request_id=3,
        install_date=WHEN,
    ),
    commands.UpdateFirmware(
        location="https://fw.example/f.bin", retrieve_date=WHEN, signing_certificate="cert", signature="sig"
    ),
    commands.ExtendedTriggerMessage(message="LogStatusNotification"),
    commands.ExtendedTriggerMessage(message="StatusNotification", connector_id=1),
    commands.Reset(kind="Hard"),
]

V201_ONLY: list[commands.CommandRequest] = [
    commands.GetBaseReport(request_id=1, report_base="SummaryInventory"),
    commands.GetReport(request_id=2, component_variables=(ComponentVariable(component="EVSE", evse_id=1),)),
    commands.GetReport(request_id=3, component_criteria=("Problem", "Enabled")),
    commands.GetVariables(variables=(EVSE_POWER,)),
    commands.SetVariables(
        variables=(VariableSetting(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="60"),)
    ),
    commands.SetNetworkProfile(
        configuration_slot=1,
        connection_data=NetworkProfile(ocpp_csms_url="wss://csms.example/ocpp", security_profile=2),
    ),
    commands.Reset(kind="Soft", evse_id=1),
    commands.GetTransactionStatus(),
    commands.GetTransactionStatus(transaction_id="tx-1"),
    commands.SetVariableMonitoring(
        monitors=(
            MonitorSetting(component="EVSE", variable="Power", evse_id=1, kind="UpperThreshold", value=7400.0),
            MonitorSetting(component="EVSE", variable="Power", kind="Delta", value=10, severity=8, monitor_id=4),
        )
    ),
    commands.ClearVariableMonitoring(monitor_ids=(1, 4)),
    commands.SetMonitoringBase(monitoring_base="FactoryDefault"),
    commands.SetMonitoringLevel(severity=4),
    commands.GetMonitoringReport(request_id=5, monitoring_criteria=("DeltaMonitoring",)),
    commands.CustomerInformation(request_id=6, customer_identifier="driver-17"),
    commands.CustomerInformation(request_id=6, report=False, clear=True, id_token="04A2B3C4"),
    commands.CustomerInformation(
        request_id=6,
        customer_certificate=CustomerCertificate(
            hash_algorithm="SHA256", issuer_name_hash="aa", issuer_key_hash="bb", serial_number="01"
        ),
    ),
    commands.SetDisplayMessage(message_id=1, content="Welcome", priority="InFront", evse_id=1, language="en"),
    commands.SetDisplayMessage(
        message_id=2, content="<b>Hi</b>", format="HTML", state="Charging", start_date_time=WHEN
    ),
    commands.GetDisplayMessages(request_id=9, message_ids=(1, 2), priority="InFront"),
    commands.ClearDisplayMessage(message_id=1),
    commands.PublishFirmware(location="https://fw.example/f.bin", checksum="0" * 32, request_id=11),
    commands.UnpublishFirmware(checksum="0" * 32),
]


def _valid(request: commands.CommandRequest, version: str) -> str:
    action, payload = commands.spec_for(request).translate(request, version)
    _validate_payload(LibraryCall("1", action, json.loads(codec.encode(payload))), version)
    return action


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize("request_", BOTH_VERSIONS, ids=lambda r: type(r).__name__)
def test_commands_of_both_versions_validate(request_: commands.CommandRequest, version: str) -> None:
    _valid(request_, version)


@pytest.mark.parametrize("request_", V201_ONLY, ids=lambda r: type(r).__name__)
def test_201_commands_validate_and_are_refused_for_16(request_: commands.CommandRequest) -> None:
    _valid(request_, "2.0.1")
    with pytest.raises(errors.InvalidCommand, match="OCPP"):
        commands.spec_for(request_).translate(request_, "1.6")


def test_signed_firmware_goes_out_as_the_16_security_extension_message() -> None:
    assert _valid(BOTH_VERSIONS[3], "1.6") == "SignedUpdateFirmware"
    assert _valid(commands.UpdateFirmware(location="https://f.example", retrieve_date=WHEN), "1.6") == "UpdateFirmware"
    assert _valid(commands.ExtendedTriggerMessage(message="SignChargePointCertificate"), "2.0.1") == "TriggerMessage"


def test_requests_and_results_cross_the_relay_unchanged() -> None:
    for request in [*BOTH_VERSIONS, *V201_ONLY]:
        assert commands.decode_request(commands.encode_request(request)) == request
    result = commands.VariablesResult(messages=3)
    assert commands.decode_result(commands.encode_result(result)) == result


def _variables(count: int) -> list[ComponentVariable]:
    return [ComponentVariable(component="Controller", variable=f"Variable{n:02d}") for n in range(count)]


def test_ten_variables_go_in_three_messages_of_at_most_four() -> None:
    items = _variables(10)
    groups = split(items, get_variables_payload, "GetVariables", 4, None)
    assert [len(group) for group in groups] == [4, 4, 2]
    assert [item for group in groups for item in group] == items


def test_groups_stay_under_the_byte_limit() -> None:
    items = [VariableSetting(component="Controller", variable=f"V{n}", value="x" * 80) for n in range(10)]
    limit = 400
    groups = split(items, set_variables_payload, "SetVariables", None, limit)
    assert len(groups) > 1
    assert [item for group in groups for item in group] == items
    for group in groups:
        frame = codec.encode_call("0" * 36, "SetVariables", set_variables_payload(group))
        assert len(frame) <= limit


def test_without_limits_everything_goes_in_one_message() -> None:
    assert len(split(_variables(10), get_variables_payload, "GetVariables", None, None)) == 1
    assert len(split(_variables(10), get_variables_payload, "GetVariables", 0, None)) == 1
