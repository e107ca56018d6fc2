"""Any central-system message by its action name: only actions of the charger's version and direction, payloads
checked against the official schema (the offending field named), and the call and its answer cross processes."""

from __future__ import annotations

import json

import msgspec
import pytest
from ocpp.messages import Call as LibraryCall
from ocpp.messages import _validate_payload

from ocpp_bridge import codec, commands, errors, ocpp_calls
from ocpp_bridge.router import handler_name
from ocpp_bridge.v16.handlers import V16Router
from ocpp_bridge.v201.handlers import V201Router

ROUTERS = {"1.6": V16Router, "2.0.1": V201Router}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_every_central_system_action_has_its_schema_and_none_is_a_charger_message(version: str) -> None:
    actions = ocpp_calls.actions_of(version)
    assert len(actions) == len(set(actions))
    for action in actions:
        assert action in codec.REQUESTS[version]
        assert action in codec.RESPONSES[version]
        if action != "DataTransfer":  # the one message both sides send
            assert not hasattr(ROUTERS[version], handler_name(action)), action
    assert "BootNotification" not in actions
    assert "TriggerMessage" in actions


@pytest.mark.parametrize(
    ("version", "action", "payload"),
    [
        ("1.6", "GetConfiguration", {"key": ["HeartbeatInterval"]}),
        ("1.6", "SendLocalList", {"listVersion": 2, "updateType": "Full", "localAuthorizationList": []}),
        ("1.6", "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}),
        ("2.0.1", "GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"}),
        (
            "2.0.1",
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "attributeValue": "60",
                    }
                ]
            },
        ),
    ],
)
def test_a_call_is_sent_as_its_schema_says(version: str, action: str, payload: dict[str, object]) -> None:
    request = commands.OcppCall(action=action, payload=msgspec.Raw(json.dumps(payload).encode()))
    carried = commands.decode_request(commands.encode_request(request))  # as the relay carries it
    sent_action, struct = commands.spec_for(carried).translate(carried, version)
    assert sent_action == action
    wire = json.loads(codec.encode(struct))
    assert wire == payload
    _validate_payload(LibraryCall("1", action, wire), version)


def test_the_answer_is_returned_as_the_charger_sent_it() -> None:
    response = codec.decode_payload(
        b'{"status":"Accepted","statusInfo":{"reasonCode":"Ok"}}', codec.RESPONSES["2.0.1"]["ClearCache"]
    )
    result = commands.spec_for(commands.OcppCall(action="ClearCache")).read_result(response, "2.0.1")
    carried = commands.decode_result(commands.encode_result(result))
    assert isinstance(carried, commands.OcppCallResult)
    assert carried.action == "ClearCache"
    assert json.loads(bytes(carried.payload)) == {"status": "Accepted", "statusInfo": {"reasonCode": "Ok"}}


@pytest.mark.parametrize(
    ("version", "action", "payload", "location"),
    [
        ("1.6", "ChangeAvailability", {"connectorId": "one", "type": "Operative"}, "$.connectorId"),
        ("1.6", "ChangeAvailability", {"connectorId": 1}, "$"),
        ("2.0.1", "Reset", {"type": "Sometime"}, "$.type"),
        (
            "2.0.1",
            "SetVariables",
            {"setVariableData": [{"component": {}, "variable": {"name": "X"}, "attributeValue": "1"}]},
            "$.setVariableData[0].component",
        ),
    ],
)
def test_an_invalid_payload_names_its_field(version: str, action: str, payload: object, location: str) -> None:
    with pytest.raises(ocpp_calls.PayloadInvalid) as raised:
        ocpp_calls.checked_payload(version, action, json.dumps(payload))
    assert raised.value.location == location
    assert isinstance(raised.value, errors.InvalidCommand)


@pytest.mark.parametrize(
    ("version", "action"),
    [
        ("1.6", "GetVariables"),
        ("2.0.1", "RemoteStartTransaction"),
        ("1.6", "Heartbeat"),
        ("2.0.1", "NotifyReport"),
        ("1.6", "Dance"),
    ],
)
def test_actions_of_another_version_or_direction_are_unknown(version: str, action: str) -> None:
    with pytest.raises(errors.UnknownCommand):
        ocpp_calls.checked_payload(version, action, b"{}")
