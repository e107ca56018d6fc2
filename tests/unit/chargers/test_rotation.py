"""A charger password is recognised however a command phrases it, carried in each version's form, and never
written to the audit."""

from __future__ import annotations

import json

import msgspec
import pytest

from api.domain.chargers import audit, rotation
from api.domain.chargers.credentials import new_charger_secret
from ocpp_bridge import commands, errors
from ocpp_bridge.device_model import VariableSetting

SECRET = "a-fresh-charger-secret"


def test_the_1_6_authorization_key_is_the_password_in_hex_both_ways() -> None:
    secret = new_charger_secret()
    assert 16 <= len(secret) <= 40
    key = rotation.authorization_key(secret)
    assert 32 <= len(key) <= 80
    assert rotation.secret_from_authorization_key(key) == secret
    assert rotation.rotation_request(secret, "1.6") == commands.ChangeConfiguration(key="AuthorizationKey", value=key)
    assert rotation.rotation_request(secret, "2.0.1") == commands.ChangeConfiguration(
        key="SecurityCtrlr.BasicAuthPassword", value=secret
    )


@pytest.mark.parametrize("value", ["zz" * 16, "ab" * 15, "ab" * 41, "ff" * 20])
def test_authorization_keys_that_cannot_be_a_password_are_refused(value: str) -> None:
    with pytest.raises(errors.InvalidCommand):
        rotation.secret_from_authorization_key(value)


def _call(action: str, payload: object) -> commands.OcppCall:
    return commands.OcppCall(action=action, payload=msgspec.Raw(json.dumps(payload).encode()))


PASSWORD_VARIABLE = {
    "component": {"name": "SecurityCtrlr"},
    "variable": {"name": "BasicAuthPassword"},
    "attributeValue": SECRET,
}
PHRASINGS = [
    commands.ChangeConfiguration(key="AuthorizationKey", value=SECRET.encode().hex()),
    commands.ChangeConfiguration(key="SecurityCtrlr.BasicAuthPassword", value=SECRET),
    _call("ChangeConfiguration", {"key": "AuthorizationKey", "value": SECRET.encode().hex()}),
    _call("SetVariables", {"setVariableData": [PASSWORD_VARIABLE]}),
    commands.SetVariables(
        variables=(VariableSetting(component="SecurityCtrlr", variable="BasicAuthPassword", value=SECRET),)
    ),
]
MIXED = [
    _call(
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "attributeValue": "60",
                },
                PASSWORD_VARIABLE,
            ]
        },
    ),
    commands.SetVariables(
        variables=(
            VariableSetting(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="60"),
            VariableSetting(component="SecurityCtrlr", variable="BasicAuthPassword", value=SECRET),
        )
    ),
]


@pytest.mark.parametrize("request_", PHRASINGS, ids=lambda r: type(r).__name__)
def test_a_password_change_is_recognised_and_kept_out_of_the_audit(request_: commands.CommandRequest) -> None:
    assert rotation.new_password_in(request_) == SECRET
    stored = json.dumps(audit.audit_payload(request_))
    assert SECRET not in stored
    assert SECRET.encode().hex() not in stored
    assert audit.REDACTED in stored


@pytest.mark.parametrize("request_", MIXED, ids=lambda r: type(r).__name__)
def test_a_password_sent_with_other_variables_is_refused_and_kept_out_of_the_audit(
    request_: commands.CommandRequest,
) -> None:
    """A rotation sends the password alone: sending the others along would be silently dropped."""
    with pytest.raises(errors.InvalidCommand, match="on its own"):
        rotation.new_password_in(request_)
    stored = json.dumps(audit.audit_payload(request_))
    assert SECRET not in stored


def test_other_commands_are_not_password_changes() -> None:
    assert rotation.new_password_in(commands.ChangeConfiguration(key="HeartbeatInterval", value="60")) is None
    assert rotation.new_password_in(_call("GetConfiguration", {"key": ["AuthorizationKey"]})) is None
    assert rotation.new_password_in(commands.Reset()) is None
    profile = {
        "configurationSlot": 1,
        "connectionData": {"apn": {"apn": "x", "apnAuthentication": "AUTO", "apnPassword": "p4ss"}},
    }
    assert "p4ss" not in json.dumps(audit.audit_payload(_call("SetNetworkProfile", profile)))


@pytest.mark.parametrize(
    ("answer", "took_it"),
    [
        (commands.StatusResult(status="Accepted"), True),
        (commands.StatusResult(status="RebootRequired"), True),
        (commands.StatusResult(status="Rejected"), False),
        (
            commands.OcppCallResult(action="ChangeConfiguration", payload=msgspec.Raw(b'{"status":"NotSupported"}')),
            False,
        ),
        (
            commands.OcppCallResult(
                action="SetVariables",
                payload=msgspec.Raw(
                    json.dumps({"setVariableResult": [{**PASSWORD_VARIABLE, "attributeStatus": "Accepted"}]}).encode()
                ),
            ),
            True,
        ),
    ],
)
def test_what_counts_as_taking_the_new_password(answer: commands.CommandResult, took_it: bool) -> None:
    assert rotation.charger_took_it(answer) is took_it


def test_the_rotation_state_after_each_ending() -> None:
    assert rotation.outcome_state(None, True) == "accepted"
    assert rotation.outcome_state(None, False) is None
    assert rotation.outcome_state(errors.CommandTimeout("late"), False) == "unconfirmed"
    assert rotation.outcome_state(errors.ChargerDisconnected("gone"), False) == "unconfirmed"
    assert rotation.outcome_state(errors.ChargerNotConnected("offline"), False) is None
    assert rotation.outcome_state(errors.CommandRejected("SecurityError", "no", {}), False) is None
