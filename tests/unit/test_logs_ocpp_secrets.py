"""A charger password never reaches a log line, not even in the OCPP frames the websockets library prints at DEBUG."""

from __future__ import annotations

import json

from api.logs import redact

SECRET = "a-fresh-charger-secret"


def test_frames_that_set_a_charger_password_are_redacted() -> None:
    v16 = json.dumps([2, "1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": SECRET.encode().hex()}])
    v201 = json.dumps(
        [
            2,
            "2",
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": SECRET,
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    }
                ]
            },
        ],
        separators=(",", ":"),
    )
    profile = '{"connectionData":{"apn":{"apn":"internet","apnPassword":"' + SECRET + '"}}}'
    for frame in (v16, v201, profile):
        line = redact(f"> TEXT '{frame}' [120 bytes]")
        assert SECRET not in line
        assert SECRET.encode().hex() not in line
        assert "[redacted]" in line
    harmless = json.dumps([2, "3", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}])
    assert redact(harmless) == harmless
